// Every page at laptop and tablet widths, saved as screenshots for review
// (e2e-artifacts/screens-*.png). The assertions are that each page renders
// its content without a horizontal scrollbar.
import { expect, loginAs, shot, test } from './fixtures';

for (const width of [1280, 800]) {
  test(`pages at ${width}px`, async ({ page }, info) => {
    await page.setViewportSize({ width, height: 900 });
    const noSideScroll = async () =>
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    await page.goto('/login');
    await expect(page.getByTestId('submit')).toBeVisible();
    await shot(page, info, 'login');

    await loginAs(page, 'engineer');
    await expect(page.getByTestId('calibration-count-valid')).toBeVisible();
    await expect(page.getByTestId('recent-runs')).toBeVisible();
    await noSideScroll();
    await shot(page, info, 'dashboard');

    await page.getByTestId('user-menu').click();
    await expect(page.getByTestId('logout')).toBeVisible();
    await shot(page, info, 'user-menu');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('logout')).toHaveCount(0);

    await page.getByTestId('nav-samples').click();
    await expect(page.getByTestId('sample-row').first()).toBeVisible();
    await noSideScroll();
    await shot(page, info, 'samples');

    // A seeded sample (other tests add samples without wafers, and enough
    // of them to push it off the first page): found by search.
    await page.getByTestId('sample-search').fill('DL-S-0003');
    await page.getByTestId('sample-search-submit').click();
    await page.getByTestId('sample-link').filter({ hasText: 'DL-S-0003' }).click();
    await expect(page.getByTestId('wafer').first()).toBeVisible();
    await noSideScroll();
    await shot(page, info, 'sample-detail');

    await page.getByTestId('record-custody').click();
    await page.getByTestId('edit-sample').click();
    await shot(page, info, 'sample-forms');
  });
}
