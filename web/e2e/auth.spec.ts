import { expect, fillLogin, loginAs, shot, test } from './fixtures';

test('pi logs in, lands on the dashboard and sees the role in the user menu', async ({ page }, info) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await shot(page, info, 'login');
  await fillLogin(page, 'pi');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  const menu = page.getByTestId('user-menu');
  await expect(menu.getByTestId('user-role')).toHaveText('pi');
  await expect(menu).toContainText('Demo Lab PI');
  await expect(menu.getByTestId('user-org')).toHaveText('Demo Lab');
  // The dashboard's three panels load from the API.
  await expect(page.getByTestId('calibration-count-valid')).toBeVisible();
  await expect(page.getByTestId('recent-runs').locator('tbody tr')).not.toHaveCount(0);
  await shot(page, info, 'dashboard');
});

test('a wrong password shows the server error', async ({ page }, info) => {
  await page.goto('/login');
  await page.getByTestId('username').fill('viewer@demo.lab');
  await page.getByTestId('password').fill('not-the-password');
  await page.getByTestId('submit').click();
  await expect(page.getByRole('alert')).toContainText('Sign-in failed');
  await expect(page).toHaveURL(/\/login/);
  await shot(page, info, 'login-error');
});

test('logout, then a protected page goes to login and back after signing in', async ({ page }, info) => {
  await loginAs(page, 'engineer');
  await page.getByTestId('user-menu').click();
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login/);

  // The refresh cookie is gone too: a reload does not bring the session back.
  await page.goto('/samples');
  await expect(page).toHaveURL(/\/login\?next=%2Fsamples$/);
  await expect(page.getByTestId('submit')).toBeVisible();
  await shot(page, info, 'redirected-to-login');

  await fillLogin(page, 'engineer');
  await expect(page).toHaveURL(/\/samples$/);
  await expect(page.getByRole('heading', { name: 'Samples' })).toBeVisible();
});

test('a reload keeps the session (refresh cookie)', async ({ page }) => {
  await loginAs(page, 'tech');
  await page.goto('/samples');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Samples' })).toBeVisible();
  await expect(page.getByTestId('user-role')).toHaveText('technician');
});

// The reload that once logged users out: the refresh of the first load is
// still in flight when the page reloads, so the server has rotated the token
// but the browser never saw the answer (nor its Set-Cookie) and presents the
// spent token again. The server's reuse grace keeps the session.
test('a reload that cuts off a refresh keeps the session', async ({ page, context }) => {
  await loginAs(page, 'tech');
  const spent = await context.cookies();
  let cut = 0;
  await page.route('**/auth/refresh', async (route) => {
    const answer = await route.fetch(); // the server rotates the token…
    expect(answer.status()).toBe(200);
    cut += 1;
    await route.abort('connectionreset'); // …and the page never gets the answer
  });
  await page.goto('/samples');
  await expect.poll(() => cut).toBe(1);
  await page.unroute('**/auth/refresh');
  // route.fetch shares the context's cookie jar; put back the cookie the
  // browser would still hold.
  await context.clearCookies();
  await context.addCookies(spent);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Samples' })).toBeVisible();
  await expect(page.getByTestId('user-role')).toHaveText('technician');
});
