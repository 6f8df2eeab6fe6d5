// Amendments in the browser: an engineer completes a run with results;
// the completed run offers no upload, only Amend; the engineer corrects
// one value with a reason and sees the correction (the old value struck
// through), the history entry, and the amendment in the printable report.
import { expect, loginAs, plannedIVRun, shot, test } from './fixtures';

test('engineer amends a completed run: the correction, its history entry and the report', async ({ page, request }, info) => {
  // Set-up through the API: a planned run of IV Sweep on the SMU.
  const run = await plannedIVRun(request, `E2E amend ${Date.now()}`);

  // The engineer runs it: start, results, complete.
  await loginAs(page, 'engineer');
  await page.goto(`/runs/${run.id}`);
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-detail-status')).toHaveText('running');
  await page.getByTestId('results-file').setInputFiles({
    name: 'results.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('metric,value,unit\nthreshold_voltage,0.4471,V\nleakage_current,1.2e-9,A\n'),
  });
  await page.getByTestId('upload-results').click();
  await expect(page.getByTestId('upload-done')).toContainText('2 results added');
  await page.getByTestId('complete-run').click();
  await expect(page.getByTestId('run-detail-status')).toHaveText('completed');

  // Completed: no upload of results or series, an Amend action instead.
  await expect(page.getByTestId('results-upload')).toHaveCount(0);
  await expect(page.getByTestId('results-file')).toHaveCount(0);
  const amend = page.getByTestId('amend-run');
  await expect(amend).toBeVisible();
  await amend.click();
  const form = page.getByTestId('amend-form');
  await expect(form.getByRole('heading', { name: 'Amend the completed run' })).toBeFocused();

  // Saving without a reason is refused at the field; nothing is sent.
  const vthRow = form.getByTestId('amend-row').filter({ hasText: 'threshold_voltage' });
  await vthRow.getByLabel('Change to threshold_voltage').selectOption('correct');
  await vthRow.getByLabel('Corrected threshold_voltage (V)').fill('0.4512');
  await form.getByTestId('amend-save').click();
  await expect(form.getByText('Say why the results are corrected.')).toBeVisible();
  await expect(form.getByLabel('Reason (required)')).toHaveAttribute('aria-invalid', 'true');

  const reason = `Probe offset not subtracted (E2E ${Date.now()})`;
  await form.getByLabel('Reason (required)').fill(reason);
  await shot(page, info, 'form');
  await form.getByTestId('amend-save').click();
  await expect(page.getByTestId('amend-form')).toHaveCount(0);
  await expect(page.getByTestId('amend-run')).toBeFocused();

  // The results: the old value struck through and superseded, the correction current.
  const rows = page.getByTestId('results-table').getByTestId('result-row');
  await expect(rows).toHaveCount(3);
  const old = rows.filter({ has: page.getByTestId('result-superseded-value') });
  await expect(old).toHaveCount(1);
  await expect(old.getByTestId('result-superseded-value')).toHaveText('0.4471');
  await expect(old.getByTestId('result-standing')).toHaveText('superseded');
  const correction = rows.filter({ hasText: '0.4512' });
  await expect(correction.getByTestId('result-standing')).toHaveText('current (amended)');
  await expect(rows.filter({ hasText: 'leakage_current' }).getByTestId('result-standing')).toHaveText('current');

  // The history: the amendment, its reason, what changed and who.
  const entry = page.getByTestId('history-amendment');
  await expect(entry).toHaveCount(1);
  await expect(entry.getByTestId('amendment-reason')).toHaveText(reason);
  await expect(entry.getByTestId('amendment-change')).toHaveText('threshold_voltage: 0.4471 V → 0.4512 V');
  await expect(entry).toContainText('by Demo Lab Engineer');
  await shot(page, info, 'amended');

  // The printable report lists the amendment and strikes the old value.
  const popup = page.waitForEvent('popup');
  await page.getByTestId('open-report').click();
  const report = await popup;
  await expect(report.getByRole('heading', { name: 'Amendments' })).toBeVisible();
  await expect(report.locator('body')).toContainText(reason);
  await expect(report.locator('body')).toContainText('threshold_voltage: corrected 0.4471 V → 0.4512 V');
  await expect(report.locator('s')).toHaveText('0.4471');
  await shot(report, info, 'report');
});
