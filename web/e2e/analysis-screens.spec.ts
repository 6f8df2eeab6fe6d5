// The instruments, runs, SPC and admin pages at laptop and tablet widths,
// saved as screenshots (e2e-artifacts/analysis-screens-*.png); each page
// renders its content without a horizontal scrollbar.
import { expect, loginAs, shot, test } from './fixtures';
import type { Page } from '@playwright/test';

const noSideScroll = async (page: Page) =>
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

for (const width of [1280, 800]) {
  test(`analysis pages at ${width}px`, async ({ page }, info) => {
    await page.setViewportSize({ width, height: 900 });
    await loginAs(page, 'engineer');

    await page.goto('/instruments');
    await expect(page.getByTestId('cal-badge').first()).toBeVisible();
    await noSideScroll(page);
    await shot(page, info, 'instruments');
    await page.getByTestId('instrument-link').filter({ hasText: 'Ocean Optics' }).click();
    await expect(page.getByTestId('calibration-row').first()).toBeVisible();
    await page.getByTestId('record-calibration').click();
    await noSideScroll(page);
    await shot(page, info, 'instrument-detail');

    await page.goto('/runs');
    await expect(page.getByTestId('run-row').first()).toBeVisible();
    await noSideScroll(page);
    await shot(page, info, 'runs');
    await page.getByTestId('run-status-filter').selectOption('completed');
    // The oldest completed run on the page is a seeded one with results; the
    // newest may be one a parallel test has just completed without any.
    await page.getByTestId('run-link').last().click();
    await expect(page.getByTestId('results-table')).toBeVisible();
    await noSideScroll(page);
    await shot(page, info, 'run-detail');

    await page.goto('/runs/new');
    await page.getByTestId('run-recipe').selectOption({ label: 'IV Sweep (revision 1)' });
    await expect(page.getByTestId('param-v_start')).toBeVisible();
    await noSideScroll(page);
    await shot(page, info, 'new-run');

    await page.goto('/spc');
    await expect(page.getByTestId('spc-series-row').first()).toBeVisible();
    await noSideScroll(page);
    await shot(page, info, 'spc');
    await page.getByTestId('spc-series-link').first().click();
    await expect(page.getByTestId('spc-chart')).toBeVisible();
    await noSideScroll(page);
    await shot(page, info, 'spc-series');

    await page.getByTestId('user-menu').click();
    await page.getByTestId('logout').click();
    // The app navigates to /login once the server ended the session; going
    // there earlier would race the logout and restore the old session.
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByTestId('username')).toBeVisible();
    await loginAs(page, 'admin');
    for (const [path, ready] of [
      ['/admin/users', 'user-row'],
      ['/admin/api-keys', 'new-api-key-button'],
      ['/admin/settings', 'settings-form'],
      ['/admin/audit', 'audit-row'],
    ] as const) {
      await page.goto(path);
      await expect(page.getByTestId(ready).first()).toBeVisible();
      await noSideScroll(page);
      await shot(page, info, path.split('/')[2] ?? path);
    }
  });
}
