// The viewer reads everything and can change nothing: on every page and a
// detail page of each, no write action is offered, and the administration
// is not in the navigation.
import { expect, loginAs, shot, test } from './fixtures';
import type { Page } from '@playwright/test';

const writeTestIds = [
  'new-sample', 'edit-sample', 'record-custody',
  'new-instrument', 'edit-instrument', 'record-calibration',
  'new-run', 'create-run', 'start-run', 'complete-run', 'fail-run', 'abort-run', 'results-file', 'upload-results',
  'ack-button',
  'approve-button', 'retire-button', 'new-recipe', 'edit-recipe', 'new-version',
  'new-sop', 'edit-sop', 'new-entry', 'edit-entry', 'sign-button', 'amend-entry',
];
// Names a write button would have; Search, Previous/Next, downloads are reads.
const writeNames = /^(new|create|add|edit|save|approve|retire|sign|amend|start|complete|fail|abort|upload|acknowledge|record|revoke|deactivate|reactivate|delete|remove)\b/i;

async function noWriteActions(page: Page, where: string) {
  await expect(page.locator('.loading')).toHaveCount(0);
  for (const id of writeTestIds) {
    await expect(page.getByTestId(id), `${id} on ${where}`).toHaveCount(0);
  }
  const main = page.locator('main');
  for (const name of [...(await main.getByRole('button').allInnerTexts()), ...(await main.getByRole('link').allInnerTexts())]) {
    expect(name.trim(), `"${name}" on ${where}`).not.toMatch(writeNames);
  }
}

/** Visits a list page, checks it, then opens its first detail link and checks that. */
async function listAndDetail(page: Page, info: Parameters<typeof shot>[1], list: string, detailHref: RegExp, name: string) {
  await page.goto(list);
  await expect(page.locator('main h1')).toBeVisible();
  const link = page.locator(`main a[href^="${list}/"]:not([href$="/new"])`).first();
  await expect(link, `a detail link on ${list}`).toBeVisible();
  await noWriteActions(page, list);
  await shot(page, info, name);
  await link.click();
  await expect(page).toHaveURL(detailHref);
  await expect(page.locator('main h1')).toBeVisible();
  await noWriteActions(page, `${name} detail`);
  await shot(page, info, `${name}-detail`);
}

test('viewer visits every page and sees no write action; admin is not in the navigation', async ({ page }, info) => {
  test.setTimeout(120_000);
  await loginAs(page, 'viewer');
  await noWriteActions(page, 'dashboard');
  for (const id of ['nav-admin', 'nav-users', 'nav-audit']) await expect(page.getByTestId(id)).toHaveCount(0);
  await expect(page.locator('nav[aria-label="Main"]')).not.toContainText(/admin|audit|api keys|users/i);

  const id = /\/[0-9a-f-]{36}$/;
  await listAndDetail(page, info, '/samples', id, 'samples');
  await listAndDetail(page, info, '/instruments', id, 'instruments');
  await listAndDetail(page, info, '/runs', id, 'runs');
  // A run's detail still offers the report downloads (viewers may download).
  await expect(page.getByTestId('download-csv')).toBeVisible();
  await listAndDetail(page, info, '/spc', id, 'spc');
  await expect(page.getByTestId('spc-chart')).toBeVisible();
  await listAndDetail(page, info, '/recipes', id, 'recipes');
  await listAndDetail(page, info, '/sops', id, 'sops');
  await listAndDetail(page, info, '/eln', id, 'eln');

  // Admin pages: not in the navigation, and refused by address too.
  for (const path of ['/admin/users', '/admin/api-keys', '/admin/settings', '/admin/audit']) {
    await page.goto(path);
    await expect(page.getByRole('heading', { name: 'Not available to your role' })).toBeVisible();
  }
});
