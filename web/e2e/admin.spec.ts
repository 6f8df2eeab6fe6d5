// Administration in the browser: invitations and the accept link, users
// and roles (with the last-admin guard), API keys shown once, organization settings, the audit log.
import { apiToken, expect, freshEmail, loginAs, shot, test } from './fixtures';

test('admin invites a new e-mail; the person accepts the link in another browser, makes an account and lands in the app with the invited role; the admin changes their role and deactivates them; the last admin cannot be deactivated', async ({ page, browser, request, baseURL }, info) => {
  const email = freshEmail('e2e-invitee');
  await loginAs(page, 'admin');
  await page.getByTestId('nav-admin').click();
  await expect(page.getByTestId('user-row').first()).toBeVisible();
  await shot(page, info, 'users');

  // The server's 422s at the fields.
  await page.getByTestId('new-user').click();
  await page.getByTestId('invite-email').fill('not-an-email');
  await page.getByTestId('send-invite').click();
  await expect(page.getByTestId('invite-email')).toHaveAttribute('aria-invalid', 'true');
  await page.getByTestId('invite-email').fill(email);
  await page.getByTestId('invite-role').selectOption('technician');
  await page.getByTestId('send-invite').click();
  await expect(page.getByTestId('invite-form')).toHaveCount(0);

  // The token and the link, shown this once; the token rides in the fragment.
  await expect(page.getByTestId('invite-created')).toContainText('Shown this once');
  const inviteToken = (await page.getByTestId('invite-token').textContent()) ?? '';
  expect(inviteToken).toMatch(/^sin_[A-Za-z0-9]+$/);
  const link = await page.getByTestId('invite-link').inputValue();
  expect(link).toBe(`${baseURL}/invitations/accept#token=${inviteToken}`);
  const invitation = page.getByTestId('invitation-row').filter({ hasText: email });
  await expect(invitation).toContainText('open');
  await expect(invitation).toContainText('technician');
  await shot(page, info, 'invitation-created');
  await page.getByTestId('invite-done').click();
  await expect(page.getByTestId('invite-token')).toHaveCount(0);

  // The person, in a browser of their own, with no session.
  const theirs = await browser.newContext();
  try {
    const person = await theirs.newPage();
    await person.goto(link);
    await expect(person.getByTestId('accept-form')).toBeVisible();
    await shot(person, info, 'accept');
    await person.getByTestId('accept-name').fill('E2E Invitee');
    await person.getByTestId('accept-password').fill('e2e-password-123');
    await person.getByTestId('accept-invitation').click();
    await expect(person).toHaveURL(`${baseURL}/`);
    const menu = person.getByTestId('user-menu');
    await expect(menu.getByTestId('user-role')).toHaveText('technician');
    await expect(menu).toContainText('E2E Invitee');
    await expect(menu.getByTestId('user-org')).toHaveText('Demo Lab');
    await shot(person, info, 'accepted');

    // The link is spent.
    const again = await theirs.newPage();
    await again.goto(link);
    await again.getByTestId('accept-password').fill('e2e-password-123');
    await again.getByTestId('accept-invitation').click();
    await expect(again.getByTestId('form-error')).toHaveText(
      'This invitation cannot be accepted with this password (or it is no longer valid).',
    );
  } finally {
    await theirs.close();
  }

  await page.reload();
  await expect(page.getByTestId('invitation-row').filter({ hasText: email })).toContainText('accepted');
  await expect(page.getByTestId('invitation-row').filter({ hasText: email }).getByTestId('withdraw-invitation')).toHaveCount(0);

  await page.getByTestId('user-search').fill(email);
  await page.getByTestId('user-search').press('Enter');
  const row = page.locator(`[data-testid="user-row"][data-email="${email}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId('user-role-select')).toHaveValue('technician');
  await row.getByTestId('user-role-select').selectOption('viewer');
  await expect(row.getByTestId('user-role-select')).toHaveValue('viewer');
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
  await expect(page.getByTestId('problem')).toContainText(/last active (human )?admin/);
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
  // Independent approval of recipes and SOPs is on unless an admin turns it off.
  await expect(page.getByTestId('settings-independent-approval')).toBeChecked();
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
