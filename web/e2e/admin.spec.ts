// Administration in the browser: users and roles (with the last-admin
// guard), API keys shown once, organization settings, the audit log.
import { apiToken, expect, loginAs, shot, test } from './fixtures';

test('admin adds a user, changes their role and deactivates them; the last admin cannot be deactivated', async ({ page, request }, info) => {
  const email = `e2e-${Date.now().toString(36)}@demo.lab`;
  await loginAs(page, 'admin');
  await page.getByTestId('nav-admin').click();
  await expect(page.getByTestId('user-row').first()).toBeVisible();
  await shot(page, info, 'users');

  // The server's 422s at the fields.
  await page.getByTestId('new-user').click();
  await page.getByTestId('user-email').fill('not-an-email');
  await page.getByTestId('user-name').fill('E2E User');
  await page.getByTestId('save-user').click();
  await expect(page.getByTestId('user-email')).toHaveAttribute('aria-invalid', 'true');
  await page.getByTestId('user-email').fill(email);
  await page.getByTestId('user-password').fill('e2e-password-123');
  await page.getByTestId('user-role-new').selectOption('viewer');
  await page.getByTestId('save-user').click();
  await expect(page.getByTestId('user-form')).toHaveCount(0);

  await page.getByTestId('user-search').fill(email);
  await page.getByTestId('user-search').press('Enter');
  const row = page.locator(`[data-testid="user-row"][data-email="${email}"]`);
  await expect(row).toBeVisible();
  await row.getByTestId('user-role-select').selectOption('technician');
  await expect(row.getByTestId('user-role-select')).toHaveValue('technician');
  await row.getByTestId('deactivate-user').click();
  await expect(row.getByTestId('reactivate-user')).toBeVisible();

  // The only admin of demo-lab: the server refuses with 409, and says why.
  // (Checked first: were another test to have added an admin, the click
  // would really deactivate admin@demo.lab.)
  const token = await apiToken(request, 'admin');
  const admins = await request.get('/api/admin/users?role=admin&active=true', { headers: { Authorization: `Bearer ${token}` } });
  expect(((await admins.json()) as { items: unknown[] }).items).toHaveLength(1);
  await page.getByTestId('user-search').fill('admin@demo.lab');
  await page.getByTestId('user-search').press('Enter');
  const admin = page.locator('[data-testid="user-row"][data-email="admin@demo.lab"]');
  await admin.getByTestId('deactivate-user').click();
  await expect(page.getByTestId('problem')).toContainText(/last active admin/);
  await expect(admin.getByTestId('deactivate-user')).toBeVisible();
  await shot(page, info, 'last-admin');
});

test('admin creates an API key, sees it once, and revokes it', async ({ page }, info) => {
  const name = `E2E key ${Date.now().toString(36)}`;
  await loginAs(page, 'admin');
  await page.goto('/admin/api-keys');
  await page.getByTestId('new-api-key-button').click();
  await page.getByTestId('api-key-name').fill(name);
  await page.getByTestId('api-key-role').selectOption('technician');
  await page.getByTestId('create-api-key').click();
  const key = page.getByTestId('new-api-key');
  await expect(key).toBeVisible();
  const text = (await key.textContent()) ?? '';
  expect(text.length).toBeGreaterThan(20);
  await shot(page, info, 'key-once');

  const row = page.getByTestId('api-key-row').filter({ hasText: name });
  await expect(row).toContainText('technician');
  // The list shows only the prefix, never the key.
  await expect(page.getByTestId('api-keys-table')).not.toContainText(text);
  await page.getByRole('button', { name: 'I have stored it' }).click();
  await expect(page.getByTestId('new-api-key')).toHaveCount(0);

  page.once('dialog', (d) => void d.accept());
  await row.getByTestId('revoke-api-key').click();
  await expect(row).toContainText('revoked');
  await expect(row.getByTestId('revoke-api-key')).toHaveCount(0);
  await shot(page, info, 'keys');
});

test('admin sees the settings’ 422s at the fields, and finds the audit entries of a change', async ({ page }, info) => {
  await loginAs(page, 'admin');
  await page.goto('/admin/settings');
  await expect(page.getByTestId('settings-warning-days')).toHaveValue(/\d+/);
  await page.getByTestId('settings-access-ttl').fill('5');
  await page.getByTestId('save-settings').click();
  await expect(page.getByTestId('settings-access-ttl')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('settings-form')).toContainText('>= 60');
  await shot(page, info, 'settings');

  await page.goto('/admin/audit');
  await expect(page.getByTestId('audit-row').first()).toBeVisible();
  await page.getByTestId('audit-table').fill('auth');
  await page.getByTestId('audit-action').fill('LOGIN');
  await page.getByTestId('audit-apply').click();
  await expect(page).toHaveURL(/table=auth/);
  // Other tests log in at the same time: find this admin's login among them.
  const rows = page.getByTestId('audit-row');
  await expect(rows.first()).toContainText('LOGIN');
  const mine = rows.filter({ hasText: 'admin@demo.lab' }).first();
  await expect(mine).toContainText('LOGIN');
  await expect(mine).toContainText('via password');
  await mine.getByTestId('audit-toggle').click();
  await expect(page.getByTestId('audit-changes')).toContainText('method');
  await shot(page, info, 'audit');
});
