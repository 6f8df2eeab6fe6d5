import { api } from '../../api/client';
import { unwrap } from '../../api/problem';

/** The file name of a Content-Disposition header, or fallback. */
export function dispositionFilename(header: string | null, fallback: string): string {
  const m = header?.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  return m?.[1] ? decodeURIComponent(m[1]) : fallback;
}

/**
 * Downloads one of the run's reports (CSV or PDF). It needs the bearer
 * token, so it is fetched with the API client and saved through a blob URL.
 */
async function downloadReport(runId: string, kind: 'csv' | 'pdf'): Promise<void> {
  const res =
    kind === 'csv'
      ? await api.GET('/api/analysis/runs/{id}/report.csv', { params: { path: { id: runId } }, parseAs: 'blob' })
      : await api.GET('/api/analysis/runs/{id}/report.pdf', { params: { path: { id: runId } }, parseAs: 'blob' });
  const blob = unwrap(res);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = dispositionFilename(res.response.headers.get('Content-Disposition'), `run-${runId}.${kind}`);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Downloads the run's results as CSV. */
export const downloadCsvReport = (runId: string) => downloadReport(runId, 'csv');

/** Downloads the run's report as a PDF, made by the server. */
export const downloadPdfReport = (runId: string) => downloadReport(runId, 'pdf');

/**
 * Opens the run's printable HTML report in a new tab. The tab is opened at
 * once (while the click still counts as the user's), then the report,
 * fetched with the bearer token, is written into it. The tab is an
 * about:blank document of this origin, under this app's CSP: its
 * stylesheet link (/api/analysis/report.css) resolves against the app's
 * origin and is allowed by style-src 'self', where a blob: URL could
 * resolve no relative link.
 */
export async function openHtmlReport(runId: string): Promise<void> {
  const tab = window.open('', '_blank');
  try {
    const blob = unwrap(
      await api.GET('/api/analysis/runs/{id}/report', { params: { path: { id: runId } }, parseAs: 'blob' }),
    );
    const html = await blob.text();
    if (!tab) throw new Error('the browser blocked the report\'s tab; allow pop-ups for this site');
    tab.document.open();
    tab.document.write(html);
    tab.document.close();
  } catch (err) {
    tab?.close();
    throw err;
  }
}
