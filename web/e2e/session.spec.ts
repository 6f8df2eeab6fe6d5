import type { APIRequestContext } from '@playwright/test';
import { apiToken, expect, loginAs, shot, test } from './fixtures';

interface Settings {
  name: string;
  calibration_warning_days: number;
  access_token_ttl_seconds: number;
  refresh_token_ttl_seconds: number;
  version: number;
}

async function setAccessTTL(request: APIRequestContext, token: string, seconds: number) {
  const auth = { Authorization: `Bearer ${token}` };
  const cur = (await (await request.get('/api/admin/organization', { headers: auth })).json()) as Settings;
  const res = await request.put('/api/admin/organization', {
    headers: auth,
    data: {
      name: cur.name,
      calibration_warning_days: cur.calibration_warning_days,
      access_token_ttl_seconds: seconds,
      refresh_token_ttl_seconds: cur.refresh_token_ttl_seconds,
      version: cur.version,
    },
  });
  expect(res.status(), await res.text()).toBe(200);
  return cur.access_token_ttl_seconds;
}

// Real expiry: test-org's access tokens last 60 s (the least the settings
// allow) and the server tolerates 30 s of clock skew, so after ~95 s the
// token the page holds is refused; the client must refresh and carry on.
test('an expired access token is refreshed and the work goes on without signing in again', async ({ page, request }, info) => {
  test.setTimeout(200_000);
  const admin = await apiToken(request, 'admin', 'test-org');
  const before = await setAccessTTL(request, admin, 60);
  try {
    const login = page.waitForResponse((r) => r.url().endsWith('/auth/login'));
    await loginAs(page, 'engineer', 'test-org');
    expect(((await (await login).json()) as { expires_in: number }).expires_in).toBeLessThanOrEqual(60);
    await page.getByTestId('nav-samples').click();
    await expect(page.getByTestId('sample-row').first()).toBeVisible();

    // Every API answer from here on: the page's own background reads (the
    // inbox badge polls) may be the first to meet the expired token.
    const statuses: string[] = [];
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/auth/refresh' || u.pathname.startsWith('/api/')) statuses.push(`${u.pathname} ${r.status()}`);
    });
    await page.waitForTimeout(95_000);

    await page.getByTestId('sample-search').fill('TO-S-0002');
    await page.getByTestId('sample-search-submit').click();
    await expect(page.getByTestId('sample-row')).toHaveCount(1);
    await expect(page.getByTestId('sample-row')).toContainText('TO-S-0002');
    await expect(page).toHaveURL(/\/samples\?q=TO-S-0002$/);
    await expect(page.getByTestId('user-role')).toHaveText('engineer');
    // The first request after the expiry was refused, one refresh followed,
    // and nothing was refused after it: the search went through.
    const refresh = statuses.indexOf('/auth/refresh 200');
    expect(statuses.filter((x) => x.startsWith('/auth/refresh'))).toEqual(['/auth/refresh 200']);
    expect(statuses.slice(0, refresh).some((x) => x.endsWith(' 401'))).toBe(true);
    expect(statuses.slice(refresh).filter((x) => x.endsWith(' 401'))).toEqual([]);
    expect(statuses.slice(refresh)).toContain('/api/lims/samples 200');
    await shot(page, info, 'after-refresh');
  } finally {
    await setAccessTTL(request, admin, before);
  }
});

async function setActive(request: APIRequestContext, token: string, email: string, active: boolean) {
  const auth = { Authorization: `Bearer ${token}` };
  const users = (await (await request.get('/api/admin/users?limit=200', { headers: auth })).json()) as {
    items: { id: string; email: string; version: number }[];
  };
  const user = users.items.find((u) => u.email === email);
  expect(user, email).toBeDefined();
  // Every update names the version it replaces (428 otherwise).
  const res = await request.patch(`/api/admin/users/${user?.id}`, {
    headers: { ...auth, 'If-Match': `"${user?.version}"` },
    data: { active },
  });
  expect(res.status(), await res.text()).toBe(200);
}

// When the refresh fails as well (here: an admin deactivated the user, so
// both the access token and the refresh cookie are refused), the app
// signs out and says why.
test('when the refresh fails too, the user is sent to login with a message', async ({ page, request }, info) => {
  const admin = await apiToken(request, 'admin', 'test-org');
  await loginAs(page, 'tech', 'test-org');
  await page.goto('/samples');
  await expect(page.getByTestId('sample-row').first()).toBeVisible();
  await setActive(request, admin, 'tech@test.org', false);
  try {
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/auth/refresh'));
    await page.getByTestId('sample-link').first().click();
    expect((await refreshed).status()).toBe(401);
    await expect(page).toHaveURL(/\/login\?next=%2Fsamples%2F/);
    await expect(page.getByTestId('session-message')).toHaveText('Your session ended — sign in again.');
    await shot(page, info, 'session-ended');
  } finally {
    await setActive(request, admin, 'tech@test.org', true);
  }
});
