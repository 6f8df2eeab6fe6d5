import { api } from '../../api/client';
import { unwrap } from '../../api/problem';

/** The file name of a Content-Disposition header, or fallback. */
export function dispositionFilename(header: string | null, fallback: string): string {
  const m = header?.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  return m?.[1] ? decodeURIComponent(m[1]) : fallback;
}

/**
 * Downloads the run's CSV report. It needs the bearer token, so it is
 * fetched with the API client and saved through a blob URL.
 */
export async function downloadCsvReport(runId: string): Promise<void> {
  const res = await api.GET('/api/analysis/runs/{id}/report.csv', { params: { path: { id: runId } }, parseAs: 'blob' });
  const blob = unwrap(res);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = dispositionFilename(res.response.headers.get('Content-Disposition'), `run-${runId}.csv`);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Opens the run's printable HTML report in a new tab through a blob URL.
 * The tab is opened at once (while the click still counts as the user's),
 * then pointed at the report when it has arrived.
 */
export async function openHtmlReport(runId: string): Promise<void> {
  const tab = window.open('', '_blank');
  try {
    const blob = unwrap(
      await api.GET('/api/analysis/runs/{id}/report', { params: { path: { id: runId } }, parseAs: 'blob' }),
    );
    const url = URL.createObjectURL(new Blob([blob], { type: 'text/html' }));
    if (tab) tab.location.href = url;
    else window.location.assign(url);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    tab?.close();
    throw err;
  }
}
