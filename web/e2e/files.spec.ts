// Raw files in the browser: an engineer attaches an instrument's PDF and
// its IV export to a running run; the export becomes a curve, the PDF is
// kept as a file and says so; a download gives back the very bytes.
import { readFile } from 'node:fs/promises';
import { apiToken, expect, loginAs, runningIVRun, test } from './fixtures';

test('engineer attaches raw files to a running run and downloads them', async ({ page, request }) => {
  const run = await runningIVRun(request, `E2E files ${Date.now()}`);

  await loginAs(page, 'engineer');
  await page.goto(`/runs/${run}`);
  const card = page.getByTestId('files-card');
  await expect(card.getByText('No files.')).toBeVisible();

  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 37) % 256))]);
  await card.getByTestId('file-input').setInputFiles({ name: 'probe-card.pdf', mimeType: 'application/pdf', buffer: pdf });
  await card.getByTestId('upload-file').click();
  await expect(card.getByTestId('file-note')).toContainText('probe-card.pdf: Kept as a file');
  await expect(card.getByTestId('files-table')).toContainText('application/pdf');

  const csv = ['Keithley 2450 SourceMeter', '"Voltage (V)","Current (A)"'];
  for (let k = 0; k <= 100; k++) {
    const v = -1 + k / 50;
    csv.push(`${v.toFixed(2)},${(v < 0.4 ? 1e-9 * v : 5e-4 * (v - 0.4)).toExponential(4)}`);
  }
  await card.getByTestId('file-input').setInputFiles({ name: 'iv-w3.csv', mimeType: 'text/csv', buffer: Buffer.from(csv.join('\n')) });
  await card.getByTestId('upload-file').click();
  await expect(card.getByTestId('file-note')).toContainText('iv-w3.csv: Read as a data series: Current, 101 rows.');
  // The curve is on the run now, with its derived threshold voltage.
  await expect(page.getByTestId('results-table').getByText('threshold_voltage')).toBeVisible();

  const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'probe-card.pdf', exact: true }).click()]);
  expect(download.suggestedFilename()).toBe('probe-card.pdf');
  const path = await download.path();
  expect(Buffer.compare(await readFile(path), pdf)).toBe(0);

  // A viewer sees the files but no upload.
  const viewer = await apiToken(request, 'viewer');
  const list = (await (await request.get(`/api/analysis/runs/${run}/files`, { headers: { Authorization: `Bearer ${viewer}` } })).json()) as {
    items: { name: string; sha256: string }[];
  };
  expect(list.items.map((f) => f.name)).toEqual(['probe-card.pdf', 'iv-w3.csv']);
});
