// Runs in the browser: the engineer creates a run on a calibrated
// instrument and meets the calibration lockout on the expired one; the
// technician starts, completes and uploads results to a run.
import { expect, loginAs, plannedIVRun, shot, test } from './fixtures';

test('engineer creates a run on a calibrated instrument and sees the lockout on the expired one', async ({ page }, info) => {
  await loginAs(page, 'engineer');

  // Instruments: the demo data's states, one badge per instrument.
  await page.getByTestId('nav-instruments').click();
  const smu = page.getByTestId('instrument-row').filter({ hasText: 'Keithley 2450 SMU' });
  const oo = page.getByTestId('instrument-row').filter({ hasText: 'Ocean Optics Spectrometer' });
  await expect(smu.getByTestId('cal-badge')).toHaveText('valid');
  await expect(oo.getByTestId('cal-badge')).toHaveText('expired');
  await shot(page, info, 'instruments');

  await page.getByTestId('nav-runs').click();
  await expect(page.getByTestId('run-row').first()).toBeVisible();
  await page.getByTestId('new-run').click();
  const form = page.getByTestId('run-form');
  await form.getByTestId('run-recipe').selectOption({ label: 'IV Sweep (revision 1)' });
  // The recipe's parameters appear, with their units and defaults.
  await expect(form.getByTestId('param-v_start')).toHaveValue('-2');
  await expect(form.getByText('v_start (V)')).toBeVisible();
  const sample = form.getByTestId('run-sample');
  await expect(sample.locator('option').nth(1)).toBeAttached();
  await sample.selectOption({ index: 1 });

  // The expired spectrometer: 409, the lockout names it; nothing is created.
  await form.locator('[data-testid="run-instrument"][data-name="Ocean Optics Spectrometer"]').check();
  await form.getByTestId('create-run').click();
  const lockout = page.getByTestId('lockout');
  await expect(lockout).toBeVisible();
  await expect(lockout).toContainText('Ocean Optics Spectrometer');
  await expect(lockout).toContainText('expired');
  await expect(lockout).toContainText(/CERT-/);
  await expect(page).toHaveURL(/\/runs\/new$/);
  await shot(page, info, 'lockout');

  // A parameter out of the recipe's range: the server's 422 at the parameter.
  await form.locator('[data-testid="run-instrument"][data-name="Ocean Optics Spectrometer"]').uncheck();
  await form.locator('[data-testid="run-instrument"][data-name="Keithley 2450 SMU"]').check();
  await form.getByTestId('param-v_start').fill('100');
  await form.getByTestId('create-run').click();
  await expect(form.getByTestId('param-v_start')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText(/between -20 and 20/)).toBeVisible();
  await expect(page.getByTestId('lockout')).toHaveCount(0);

  // The calibrated SMU with a valid parameter: created, on its detail page.
  await form.getByTestId('param-v_start').fill('-1');
  await form.getByTestId('create-run').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('run-detail-status')).toHaveText('planned');
  await expect(page.getByTestId('run-instruments')).toContainText('Keithley 2450 SMU');
  await expect(page.getByTestId('run-instruments')).toContainText(/CERT-/);
  await expect(page.getByTestId('run-parameters')).toContainText('v_start = -1 V');
  await shot(page, info, 'run-detail');
});

test('technician starts and completes a planned run and uploads a CSV of results', async ({ page, request }, info) => {
  // Set-up through the API: a planned run of IV Sweep on the SMU.
  const run = await plannedIVRun(request, `E2E-${Date.now()}`);

  await loginAs(page, 'tech');
  await page.goto(`/runs/${run.id}`);
  await expect(page.getByTestId('run-detail-status')).toHaveText('planned');
  await expect(page.getByTestId('no-results')).toBeVisible();
  await shot(page, info, 'planned');

  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-detail-status')).toHaveText('running');
  await expect(page.getByTestId('start-run')).toHaveCount(0);

  // A bad line: the server's 422 names it; nothing is stored.
  await page.getByTestId('results-file').setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('metric,value,unit\nleakage_current,1.2e-9,A\nthreshold_voltage,abc,V\n'),
  });
  await page.getByTestId('upload-results').click();
  await expect(page.getByTestId('upload-errors')).toContainText('line 3.value');
  await expect(page.getByTestId('no-results')).toBeVisible();
  await shot(page, info, 'upload-422');

  await page.getByTestId('results-file').setInputFiles({
    name: 'results.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('metric,value,unit\nleakage_current,1.2e-9,A\nthreshold_voltage,0.452,V\nideality_factor,1.08,\n'),
  });
  await page.getByTestId('upload-results').click();
  await expect(page.getByTestId('upload-done')).toContainText('3 results added');
  const results = page.getByTestId('results-table');
  await expect(results.getByTestId('result-row')).toHaveCount(3);
  await expect(results).toContainText('threshold_voltage');
  await expect(results).toContainText('0.452');

  await page.getByTestId('complete-run').click();
  await expect(page.getByTestId('run-detail-status')).toHaveText('completed');
  await expect(page.getByTestId('complete-run')).toHaveCount(0);
  await expect(page.getByTestId('run-history')).toContainText('completed');

  // The CSV report downloads with the bearer token (a blob, not a bare link).
  const download = page.waitForEvent('download');
  await page.getByTestId('download-csv').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`run-${run.id}.csv`);
  await shot(page, info, 'completed');
});
