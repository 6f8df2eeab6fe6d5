// The in-app inbox: an SPC alert raised by new points notifies the
// organization's PIs; the badge in the user menu counts it, the inbox
// lists it, marking it read clears the badge; preferences persist.
// test-org, whose SPC no other spec touches, keeps the counts exact.
import { apiToken, expect, loginAs, shot, test } from './fixtures';

test('an SPC alert reaches the PI inbox; mark read clears the badge', async ({ page, request }, info) => {
  const eng = { Authorization: `Bearer ${await apiToken(request, 'engineer', 'test-org')}` };
  const pi = { Authorization: `Bearer ${await apiToken(request, 'pi', 'test-org')}` };
  // The calibration sweep runs when the server starts and tells the PI of
  // the demo's expired spectrometer: wait for it, so that nothing arrives
  // mid-test, then start from an inbox with nothing unread.
  await expect
    .poll(
      async () => {
        const res = await request.get('/api/inbox?limit=50', { headers: pi });
        return ((await res.json()) as { items: { kind: string }[] }).items.some((n) => n.kind === 'calibration_expired');
      },
      { timeout: 45_000, intervals: [500] },
    )
    .toBe(true);
  const before = await request.get('/api/inbox?limit=1', { headers: pi });
  expect(before.status()).toBe(200);
  const newest = ((await before.json()) as { items: { id: string }[] }).items[0];
  if (newest) expect((await request.post('/api/inbox/read-all', { headers: pi, data: { up_to: newest.id } })).status()).toBe(200);

  const metric = `e2e_inbox_${Date.now().toString(36)}`;
  const name = `Inbox ${metric}`;
  const created = await request.post('/api/analysis/spc/series', {
    headers: eng,
    data: { name, metric, unit: 'V', center_line: 1, sigma: 0.1 },
  });
  expect(created.status(), await created.text()).toBe(201);
  const series = (await created.json()) as { id: string };
  const base = Date.now() - 20 * 3_600_000;
  const values = [1.02, 0.97, 1.05, 0.94, 1.01, 0.99, 1.45];
  const added = await request.post(`/api/analysis/spc/series/${series.id}/points`, {
    headers: eng,
    data: { points: values.map((value, i) => ({ value, ts: new Date(base + i * 3_600_000).toISOString() })) },
  });
  expect(added.status(), await added.text()).toBe(201);
  expect(((await added.json()) as { alerts: unknown[] }).alerts).toHaveLength(1);

  await loginAs(page, 'pi', 'test-org');
  const badge = page.getByTestId('inbox-badge');
  await expect(badge).toHaveText('1');
  await expect(page.getByRole('status', { name: '1 unread notification' })).toBeVisible();
  await page.getByTestId('inbox-link').click();
  await expect(page).toHaveURL(/\/inbox$/);
  const item = page.getByTestId('inbox-item').first();
  await expect(item).toContainText(`SPC alert on ${name}`);
  await expect(item).toHaveAttribute('data-read', 'false');
  await expect(page.getByTestId('inbox-unread')).toHaveText('1 unread notification');
  await shot(page, info, 'unread');
  await item.getByTestId('mark-read').click();
  await expect(item).toHaveAttribute('data-read', 'true');
  await expect(badge).toHaveCount(0);
  await expect(page.getByTestId('inbox-unread')).toHaveText('No unread notifications');

  // The subject links to the series.
  await item.getByTestId('inbox-subject').click();
  await expect(page).toHaveURL(new RegExp(`/spc/${series.id}$`));
  await expect(page.getByTestId('spc-series-name')).toHaveText(name);

  // Two more breaks: mark all read clears them together.
  const more = await request.post(`/api/analysis/spc/series/${series.id}/points`, {
    headers: eng,
    data: { points: [{ value: 1.5 }, { value: 1.52 }] },
  });
  expect(more.status(), await more.text()).toBe(201);
  const raised = ((await more.json()) as { alerts: unknown[] }).alerts.length;
  expect(raised).toBeGreaterThan(1);
  await page.goto('/inbox');
  await expect(badge).toHaveText(String(raised));
  await page.getByTestId('mark-all-read').click();
  await expect(badge).toHaveCount(0);
  await expect(page.getByTestId('inbox-item').and(page.locator('[data-read="false"]'))).toHaveCount(0);

  // Preferences: no SPC e-mail, kept across a reload.
  const email = page.getByTestId('pref-spc_alert-email');
  await expect(email).toBeChecked();
  await email.uncheck();
  await page.getByTestId('preferences-save').click();
  await expect(page.getByTestId('preferences-saved')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('pref-spc_alert-email')).not.toBeChecked();
  await expect(page.getByTestId('pref-spc_alert-inbox')).toBeChecked();
  await expect(page.getByTestId('pref-spc_alert-daily_digest')).toBeDisabled();
  await shot(page, info, 'preferences');
});
