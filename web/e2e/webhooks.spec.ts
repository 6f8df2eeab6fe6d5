// The admin Webhooks page: a refused URL is shown at its field; an added
// webhook's secret is shown once and never in the list; the API gives an
// engineer 403.
import { apiToken, expect, loginAs, shot, test } from './fixtures';

test('the admin adds a webhook, sees its secret once, and the list never shows it', async ({ page, request }, info) => {
  const url = `https://93.184.215.14/spectra/${Date.now().toString(36)}`;
  await loginAs(page, 'admin');
  await page.getByTestId('nav-admin').click();
  await page.getByTestId('admin-tab-webhooks').click();
  await page.getByTestId('new-webhook-button').click();

  await page.getByTestId('webhook-url').fill('https://127.0.0.1/hook');
  await page.getByTestId('create-webhook').click();
  await expect(page.getByTestId('webhook-form')).toContainText('not a public address');

  await page.getByTestId('webhook-url').fill(url);
  await page.getByTestId('webhook-kind-review_submitted').uncheck();
  await page.getByTestId('create-webhook').click();
  const secret = page.getByTestId('new-webhook-secret');
  await expect(secret).toBeVisible();
  const text = (await secret.textContent()) ?? '';
  expect(text).toMatch(/^whsec_[0-9a-f]{64}$/);
  await shot(page, info, 'webhook-secret-once');

  const row = page.getByTestId('webhook-row').filter({ hasText: url });
  await expect(row).toContainText('spc alert');
  await expect(row).not.toContainText('review submitted');
  await page.getByTestId('webhook-secret-stored').click();
  await expect(page.getByTestId('new-webhook-secret')).toHaveCount(0);
  await page.reload();
  await expect(row).toBeVisible();
  await expect(page.getByTestId('webhooks-list')).not.toContainText(text);
  await row.getByTestId('webhook-deliveries-toggle').click();
  // The demo's calibration notices may already have queued deliveries.
  await expect(row.getByTestId('webhook-deliveries')).toContainText(/No deliveries yet\.|Last status/);

  const engineer = await apiToken(request, 'engineer');
  const r = await request.get('/api/admin/webhooks', { headers: { Authorization: `Bearer ${engineer}` } });
  expect(r.status()).toBe(403);
});
