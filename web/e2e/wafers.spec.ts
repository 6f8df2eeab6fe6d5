// Wafers and devices under a sample, and the technician's status/location
// update (PATCH), in the browser.
import type { APIRequestContext } from '@playwright/test';
import { apiToken, expect, loginAs, shot, test } from './fixtures';

/** Registers a sample through the API; with a wafer label, also that wafer and a device D1 on it. */
async function newSample(request: APIRequestContext, barcode: string, wafer?: string): Promise<string> {
  const headers = { Authorization: `Bearer ${await apiToken(request, 'engineer')}` };
  const res = await request.post('/api/lims/samples', { headers, data: { barcode, name: 'Wafer test sample', material: 'Si' } });
  expect(res.status(), await res.text()).toBe(201);
  const id = ((await res.json()) as { id: string }).id;
  if (wafer) {
    const w = await request.post(`/api/lims/samples/${id}/wafers`, { headers, data: { label: wafer } });
    expect(w.status(), await w.text()).toBe(201);
    const waferId = ((await w.json()) as { id: string }).id;
    const d = await request.post('/api/lims/devices', { headers, data: { wafer_id: waferId, name: 'D1' } });
    expect(d.status(), await d.text()).toBe(201);
  }
  return id;
}

test('engineer adds a wafer and a device, then edits the device', async ({ page, request }, info) => {
  const id = await newSample(request, `E2E-W-${Date.now().toString(36).toUpperCase()}`);
  await loginAs(page, 'engineer');
  await page.goto(`/samples/${id}`);
  await expect(page.getByText('No wafers.')).toBeVisible();
  // Engineers have the full edit, not the technician's status form.
  await expect(page.getByTestId('edit-sample')).toBeVisible();
  await expect(page.getByTestId('update-status')).toHaveCount(0);

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
  // The field says so, and the server's own 409 message is shown.
  await expect(page.getByTestId('device-form').locator('.field-invalid')).toContainText(/already used/i);
  await expect(page.getByTestId('device-form').getByTestId('form-error')).toContainText(/already used by another device/i);
  await page.getByTestId('device-form').getByRole('button', { name: 'Cancel' }).click();

  await page.getByTestId('edit-device').click();
  await expect(page.getByTestId('device-name')).toHaveValue('D1');
  await page.getByTestId('device-kind').fill('transistor');
  await page.getByTestId('device-position').fill('R2C3');
  await page.getByTestId('save-device').click();
  await expect(page.getByTestId('device-form')).toHaveCount(0);
  await expect(page.getByTestId('device-row')).toHaveCount(1);
  await expect(page.getByTestId('device-row')).toContainText('R2C3');
  await expect(page.getByTestId('device-row')).toContainText('transistor');

  // A second wafer with the same label is refused too, with the server's message.
  await page.getByTestId('add-wafer').click();
  await page.getByTestId('wafer-label').fill('W1');
  await page.getByTestId('save-wafer').click();
  await expect(page.getByTestId('wafer-form').getByTestId('form-error')).toContainText(/already used by another wafer/i);
  await page.getByTestId('wafer-form').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('wafer-row')).toHaveCount(1);
  await shot(page, info, 'wafers-and-devices');
});

test('technician updates a sample’s status and location, without the full edit', async ({ page, request }, info) => {
  const id = await newSample(request, `E2E-T-${Date.now().toString(36).toUpperCase()}`, 'W1');
  await loginAs(page, 'tech');
  await page.goto(`/samples/${id}`);
  // Reads the wafers and devices, may not add or edit them.
  await expect(page.getByTestId('wafer-row')).toContainText('W1');
  await expect(page.getByTestId('device-row')).toContainText('D1');
  await expect(page.getByTestId('edit-sample')).toHaveCount(0);
  await expect(page.getByTestId('add-wafer')).toHaveCount(0);
  await page.getByTestId('update-status').click();
  await page.getByTestId('status-select').selectOption('in_use');
  await page.getByTestId('status-location').fill('Probe station 2');
  await page.getByTestId('save-status').click();
  await expect(page.getByTestId('sample-detail-status')).toContainText(/in.use/i);
  await expect(page.getByTestId('sample-detail-location')).toHaveText('Probe station 2');
  await expect(page.getByTestId('status-form')).toHaveCount(0);
  // Still there after a reload: the server has it.
  await page.reload();
  await expect(page.getByTestId('sample-detail-status')).toContainText(/in.use/i);
  await expect(page.getByTestId('sample-detail-location')).toHaveText('Probe station 2');
  await expect(page.getByTestId('add-device')).toHaveCount(0);
  await expect(page.getByTestId('edit-device')).toHaveCount(0);
  await shot(page, info, 'technician-status');
});

test('viewer sees wafers and devices but none of their write actions', async ({ page, request }, info) => {
  const id = await newSample(request, `E2E-V-${Date.now().toString(36).toUpperCase()}`, 'W1');
  await loginAs(page, 'viewer');
  await page.goto(`/samples/${id}`);
  await expect(page.getByTestId('wafer-row')).toContainText('W1');
  await expect(page.getByTestId('device-row')).toContainText('D1');
  for (const testId of ['add-wafer', 'add-device', 'edit-device', 'update-status', 'edit-sample', 'record-custody']) {
    await expect(page.getByTestId(testId), testId).toHaveCount(0);
  }
  await expect(page.locator('main').getByRole('button')).toHaveCount(0);
  await shot(page, info, 'viewer-wafers');
});

test('a disposed sample offers no custody, wafer or device action, only its correction', async ({ page, request }, info) => {
  const id = await newSample(request, `E2E-X-${Date.now().toString(36).toUpperCase()}`, 'W1');
  const headers = { Authorization: `Bearer ${await apiToken(request, 'tech')}` };
  const res = await request.post('/api/lims/custody', { headers, data: { sample_id: id, event_type: 'disposed' } });
  expect(res.status(), await res.text()).toBe(201);
  await loginAs(page, 'engineer');
  await page.goto(`/samples/${id}`);
  await expect(page.getByTestId('sample-detail-status')).toContainText(/disposed/i);
  await expect(page.getByTestId('device-row')).toContainText('D1');
  for (const testId of ['add-wafer', 'add-device', 'update-status', 'record-custody']) {
    await expect(page.getByTestId(testId), testId).toHaveCount(0);
  }
  // What the server still allows: correcting the description.
  await expect(page.getByTestId('edit-sample')).toBeVisible();
  await expect(page.getByTestId('edit-device')).toBeVisible();
  await shot(page, info, 'disposed-sample');
});
