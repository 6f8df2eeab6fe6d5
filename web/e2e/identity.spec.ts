// One account, many organizations (PRODUCT.md §11) in the browser: an
// invitation withdrawn before it is used, changing one's own password, and
// accepting another organization's invitation while signed in. Each test
// makes its own account (invitedAccount) so no demo password ever changes.
import { apiToken, expect, freshEmail, invitedAccount, loginAs, loginWith, shot, test } from './fixtures';

const NOT_ACCEPTED = 'This invitation cannot be accepted with this password (or it is no longer valid).';

test('admin withdraws an open invitation; its link then refuses', async ({ page, browser }, info) => {
  const email = freshEmail('e2e-withdrawn');
  await loginAs(page, 'admin');
  await page.goto('/admin/users');
  await page.getByTestId('new-user').click();
  await page.getByTestId('invite-email').fill(email);
  await page.getByTestId('invite-role').selectOption('viewer');
  await page.getByTestId('send-invite').click();
  const link = await page.getByTestId('invite-link').inputValue();
  await page.getByTestId('invite-done').click();

  const row = page.getByTestId('invitation-row').filter({ hasText: email });
  await expect(row).toContainText('open');
  page.once('dialog', (d) => void d.accept());
  await row.getByTestId('withdraw-invitation').click();
  await expect(row).toContainText('revoked');
  await expect(row.getByTestId('withdraw-invitation')).toHaveCount(0);
  await shot(page, info, 'withdrawn');

  const theirs = await browser.newContext();
  try {
    const person = await theirs.newPage();
    await person.goto(link);
    await person.getByTestId('accept-name').fill('Never Joins');
    await person.getByTestId('accept-password').fill('e2e-password-123');
    await person.getByTestId('accept-invitation').click();
    await expect(person.getByTestId('form-error')).toHaveText(NOT_ACCEPTED);
    await expect(person).toHaveURL(/\/invitations\/accept/);
  } finally {
    await theirs.close();
  }
});

test('a person changes their own password: a wrong current one is shown at its field, their other sessions end, and the new one signs in', async ({ page, browser, request }, info) => {
  const account = await invitedAccount(request, 'technician');
  const newPassword = `${account.password}-new`;

  // Signed in elsewhere too: that session ends with the change.
  const elsewhere = await browser.newContext();
  try {
    const other = await elsewhere.newPage();
    await loginWith(other, account);

    await loginWith(page, account);
    await page.getByTestId('user-menu').click();
    await page.getByTestId('change-password-link').click();
    await expect(page).toHaveURL(/\/account\/password$/);

    // Checked in the browser before anything is sent.
    await page.getByTestId('current-password').fill(account.password);
    await page.getByTestId('new-password').fill('short');
    await page.getByTestId('confirm-password').fill('shorter');
    await page.getByTestId('change-password').click();
    await expect(page.getByTestId('new-password')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('confirm-password')).toHaveAttribute('aria-invalid', 'true');

    // The server's 401 names current_password: shown there, the session goes on.
    await page.getByTestId('current-password').fill('not-my-password');
    await page.getByTestId('new-password').fill(newPassword);
    await page.getByTestId('confirm-password').fill(newPassword);
    await page.getByTestId('change-password').click();
    await expect(page.getByTestId('current-password')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('password-form')).toContainText('not your password');
    await expect(page.getByTestId('user-menu')).toBeVisible();
    await shot(page, info, 'wrong-current');

    await page.getByTestId('current-password').fill(account.password);
    await page.getByTestId('change-password').click();
    await expect(page.getByTestId('password-changed')).toContainText('other sessions');
    await expect(page.getByTestId('current-password')).toHaveValue('');
    await shot(page, info, 'changed');

    // This session continues; the other one is over (its refresh cookie is revoked).
    await page.goto('/samples');
    await expect(page.getByRole('heading', { name: 'Samples' })).toBeVisible();
    await other.goto('/samples');
    await expect(other).toHaveURL(/\/login/);
  } finally {
    await elsewhere.close();
  }

  // Log out; the old password no longer signs in, the new one does.
  await page.getByTestId('user-menu').click();
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login/);
  await page.getByTestId('username').fill(account.username);
  await page.getByTestId('password').fill(account.password);
  await page.getByTestId('submit').click();
  await expect(page.getByRole('alert')).toContainText('Sign-in failed');
  await loginWith(page, { username: account.username, password: newPassword });
  await expect(page.getByTestId('user-role')).toHaveText('technician');
});

test('a member invited by another organization accepts on the dashboard and switches to it; that organization’s admin cannot reset their password', async ({ page, request }, info) => {
  const account = await invitedAccount(request, 'viewer');
  const token = await apiToken(request, 'admin', 'test-org');
  const inv = await request.post('/api/admin/invitations', {
    headers: { Authorization: `Bearer ${token}` },
    data: { email: account.username, role: 'engineer' },
  });
  expect(inv.status(), await inv.text()).toBe(201);

  await loginWith(page, account);
  await expect(page.getByTestId('user-org')).toHaveText('Demo Lab');
  const mine = page.getByTestId('my-invitation').filter({ hasText: 'Test Organization' });
  await expect(mine).toContainText('engineer');
  await shot(page, info, 'invitations-for-you');
  await mine.getByTestId('accept-my-invitation').click();
  await expect(page.getByTestId('invitation-accepted')).toContainText('Test Organization');
  await expect(page.getByTestId('my-invitation')).toHaveCount(0);

  // /auth/me was read again: the switcher offers the new organization.
  await page.getByTestId('user-menu').click();
  await page.getByTestId('org-switcher').selectOption('test-org');
  await expect(page.getByTestId('user-org')).toHaveText('Test Organization');
  await expect(page.getByTestId('user-role')).toHaveText('engineer');
  await shot(page, info, 'switched');

  // Test Organization's admin governs the membership, not the account made
  // in Demo Lab: a password reset is refused with the server's reason.
  // (The menu may still be open from the switch: open it only if the
  // logout button is not showing, and see the login page before going on.)
  if (!(await page.getByTestId('logout').isVisible())) await page.getByTestId('user-menu').click();
  await page.getByTestId('logout').click();
  await expect(page.getByTestId('username')).toBeVisible();
  await loginAs(page, 'admin', 'test-org');
  await page.goto(`/admin/users?q=${encodeURIComponent(account.username)}`);
  const row = page.locator(`[data-testid="user-row"][data-email="${account.username}"]`);
  await expect(row.getByTestId('user-role-select')).toHaveValue('engineer');
  await row.getByTestId('reset-password').click();
  await page.getByTestId('reset-password-input').fill('e2e-password-456');
  await page.getByTestId('set-password').click();
  await expect(page.getByTestId('problem')).toContainText('(409)');
  await expect(page.getByTestId('problem')).toContainText("not this organization's alone");
  await shot(page, info, 'reset-refused');
});
