// Instruments and calibrations in the browser.
import { expect, loginAs, shot, test } from './fixtures';

test('engineer creates an instrument and records its calibration; the 422 for expiry before issue shows at the field', async ({
  page,
}, info) => {
  const name = `E2E SMU ${Date.now().toString(36)}`;
  await loginAs(page, 'engineer');
  await page.getByTestId('nav-instruments').click();
  await expect(page.getByTestId('instrument-row').first()).toBeVisible();
  await page.getByTestId('new-instrument').click();
  await page.getByTestId('instrument-name').fill(name);
  await page.getByTestId('instrument-kind').fill('SMU');
  await page.getByTestId('instrument-serial').fill('E2E-1');
  await page.getByTestId('instrument-location').fill('Bench E2E');
  await page.getByTestId('save-instrument').click();

  // Its page: never calibrated yet.
  await expect(page.getByTestId('instrument-detail-name')).toHaveText(name);
  await expect(page.getByTestId('cal-badge')).toHaveText('missing');

  await page.getByTestId('record-calibration').click();
  await page.getByTestId('cal-certificate').fill('E2E-CERT-1');
  await page.getByTestId('cal-provider').fill('E2E Metrology');
  await page.getByTestId('cal-issued-at').fill('2026-03-01');
  await page.getByTestId('cal-expires-at').fill('2026-02-01');
  await page.getByTestId('save-calibration').click();
  const expires = page.getByTestId('cal-expires-at');
  await expect(expires).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('calibration-form')).toContainText('must be after issued_at');
  await shot(page, info, 'calibration-422');

  const nextYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  const today = new Date().toISOString().slice(0, 10);
  await page.getByTestId('cal-issued-at').fill(today);
  await expect(expires).toBeEnabled();
  await expires.fill(nextYear);
  await page.getByTestId('save-calibration').click();
  await expect(page.getByTestId('calibration-form')).toHaveCount(0);
  await expect(page.getByTestId('cal-badge')).toHaveText('valid');
  await expect(page.getByTestId('calibration-row')).toContainText('E2E-CERT-1');
  await shot(page, info, 'instrument-detail');

  // Edit: maintenance.
  await page.getByTestId('edit-instrument').click();
  await page.getByTestId('instrument-status').selectOption('maintenance');
  await page.getByTestId('save-instrument').click();
  await expect(page.getByTestId('instrument-status')).toHaveText('maintenance');

  // The list shows it with its badge.
  await page.getByTestId('nav-instruments').click();
  await page.getByTestId('instrument-search').fill(name);
  await page.getByTestId('instrument-search').press('Enter');
  await expect(page.getByTestId('instrument-row')).toHaveCount(1);
  await expect(page.getByTestId('instrument-row').getByTestId('cal-badge')).toHaveText('valid');
});
