// The background jobs page: the admin sees the hourly housekeeping job
// that `spectra demo` ran at start; an engineer has no such tab.
import { apiToken, expect, loginAs, shot, test } from './fixtures';

test('the admin opens Background jobs and sees the housekeeping job completed; the API gives an engineer 403', async ({ page, request }, info) => {
  await loginAs(page, 'admin');
  await page.getByTestId('nav-admin').click();
  await page.getByTestId('admin-tab-jobs').click();
  const prune = page.getByTestId('job-row').filter({ hasText: 'prune' });
  // The server queues it when it starts; it may still be running.
  await expect(async () => {
    await page.getByTestId('jobs-refresh').click();
    await expect(prune.getByTestId('job-state')).toHaveText('completed', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(prune).toContainText('housekeeping');
  await expect(prune).toContainText('1 of 25');
  await shot(page, info, 'jobs');

  const engineer = await apiToken(request, 'engineer');
  const r = await request.get('/api/admin/jobs', { headers: { Authorization: `Bearer ${engineer}` } });
  expect(r.status()).toBe(403);
});
