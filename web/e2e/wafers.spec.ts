// Wafers and devices under a sample, and the technician's status/location
// update (PATCH), in the browser.
import type { APIRequestContext } from '@playwright/test';
import { apiToken, expect, loginAs, shot, test } from './fixtures';

async function newSample(request: APIRequestContext, barcode: string): Promise<string> {
  const token = await apiToken(request, 'engineer');
  const res = await request.post('/api/lims/samples', {
    headers: { Authorization: `Bearer ${token}` },
    data: { barcode, name: 'Wafer test sample', material: 'Si' },
  });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test('engineer adds a wafer and a device, then edits the device', async ({ page, request }, info) => {
  const id = await newSample(request, `E2E-W-${Date.now().toString(36).toUpperCase()}`);
  await loginAs(page, 'engineer');
  await page.goto(`/samples/${id}`);
  await expect(page.getByText('No wafers.')).toBeVisible();

  await page.getByTestId('add-wafer').click();
  await page.getByTestId('wafer-diameter').fill('-5');
  await page.getByTestId('wafer-label').fill('W1');
  await page.getByTestId('save-wafer').click();
  // The server refuses a negative diameter, at the field.
  await expect(page.getByTestId('wafer-form').locator('.field-invalid')).toContainText('Diameter');
  await page.getByTestId('wafer-diameter').fill('150');
  await page.getByTestId('save-wafer').click();
  await expect(page.getByTestId('wafer-row')).toHaveCount(1);
  await expect(page.getByTestId('wafer-row')).toContainText('W1');
  await expect(page.getByTestId('wafer-row')).toContainText('150 mm');

  await page.getByTestId('add-device').click();
  await page.getByTestId('device-name').fill('D1');
  await page.getByTestId('device-kind').fill('diode');
  await page.getByTestId('device-position').fill('R1C1');
  await page.getByTestId('save-device').click();
  await expect(page.getByTestId('device-row')).toHaveCount(1);
  await expect(page.getByTestId('device-row')).toContainText('D1');

  // A second device with the same name on the wafer is the server's 409.
  await page.getByTestId('add-device').click();
  await page.getByTestId('device-name').fill('D1');
  await page.getByTestId('save-device').click();
  await expect(page.getByTestId('device-form')).toContainText(/already|exists|used/i);
  await page.getByTestId('device-form').getByRole('button', { name: 'Cancel' }).click();

  await page.getByTestId('edit-device').click();
  await page.getByTestId('device-position').fill('R2C3');
  await page.getByTestId('save-device').click();
  await expect(page.getByTestId('device-row')).toContainText('R2C3');
  await shot(page, info, 'wafers-and-devices');
});

test('technician updates a sample’s status and location, without the full edit', async ({ page, request }, info) => {
  const id = await newSample(request, `E2E-T-${Date.now().toString(36).toUpperCase()}`);
  await loginAs(page, 'tech');
  await page.goto(`/samples/${id}`);
  await expect(page.getByTestId('edit-sample')).toHaveCount(0);
  await expect(page.getByTestId('add-wafer')).toHaveCount(0);
  await page.getByTestId('update-status').click();
  await page.getByTestId('status-select').selectOption('in_use');
  await page.getByTestId('status-location').fill('Probe station 2');
  await page.getByTestId('save-status').click();
  await expect(page.getByTestId('sample-detail-status')).toContainText(/in.use/i);
  await expect(page.getByTestId('sample-detail-location')).toHaveText('Probe station 2');
  await shot(page, info, 'technician-status');
});
