import { apiToken, expect, loginAs, shot, test } from './fixtures';
import type { Page } from '@playwright/test';

async function openRecipe(page: Page, name: string) {
  await page.getByTestId('nav-recipes').click();
  await page.getByTestId('recipe-search').fill(name);
  await page.getByTestId('recipe-search-submit').click();
  await page.getByTestId('recipe-link').filter({ hasText: name }).first().click();
  await expect(page.getByTestId('recipe-detail-name')).toHaveText(name);
}

test('the engineer sees no Approve button on the draft recipe', async ({ page }, info) => {
  await loginAs(page, 'engineer');
  await page.getByTestId('nav-recipes').click();
  await expect(page.getByTestId('recipe-row').first()).toBeVisible();
  await shot(page, info, 'recipes');

  await openRecipe(page, 'Optical Transmission Spectrum');
  await expect(page.getByTestId('recipe-detail-status')).toHaveText('draft');
  await expect(page.getByTestId('recipe-parameter').first()).toBeVisible();
  await expect(page.getByTestId('edit-recipe')).toBeVisible(); // engineers draft…
  await expect(page.getByTestId('approve-button')).toHaveCount(0); // …but do not approve
  await shot(page, info, 'recipe-draft');
});

test('the PI approves a submitted recipe with the password, then starts a new version', async ({ page, request }, info) => {
  // The engineer's draft, submitted for review, for the PI to approve (the
  // demo's draft stays as it is for other tests).
  const name = `E2E approve ${Date.now()}`;
  const token = await apiToken(request, 'engineer');
  const res = await request.post('/api/lims/recipes', {
    headers: { Authorization: `Bearer ${token}` },
    data: { name, description: 'Made by the browser tests.', instrument_kinds: ['SMU'], parameters: [{ name: 'v_max', unit: 'V', min: 0, max: 10, default: 5 }] },
  });
  expect(res.status(), await res.text()).toBe(201);
  const submitted = await request.post(`/api/lims/recipes/${((await res.json()) as { id: string }).id}/submit`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(submitted.status(), await submitted.text()).toBe(200);

  // A draft not submitted for review is not approved yet: it is submitted first.
  await loginAs(page, 'pi');
  await openRecipe(page, 'Optical Transmission Spectrum');
  await expect(page.getByTestId('submit-review')).toBeVisible();
  await expect(page.getByTestId('approve-button')).toHaveCount(0);

  // Approved and retired revisions show no Approve.
  await openRecipe(page, 'IV Sweep');
  await expect(page.getByTestId('recipe-detail-status')).toHaveText('approved');
  await expect(page.getByTestId('approve-button')).toHaveCount(0);
  await expect(page.getByTestId('edit-recipe')).toHaveCount(0);

  await openRecipe(page, name);
  await expect(page.getByTestId('recipe-detail-status')).toHaveText('draft');
  await expect(page.getByTestId('recipe-in-review')).toBeVisible();
  await expect(page.getByTestId('edit-recipe')).toHaveCount(0); // a submitted draft does not change
  await page.getByTestId('approve-button').click();
  const dialog = page.getByTestId('approve-dialog');
  await expect(dialog).toBeVisible();
  // A wrong password: the server's 401 shows in the dialog, the session goes on.
  await page.getByTestId('approve-password').fill('not-my-password');
  await page.getByTestId('approve-confirm').click();
  await expect(dialog).toContainText('not your password');
  await expect(page.getByTestId('user-menu')).toBeVisible();
  await expect(page.getByTestId('recipe-detail-status')).toHaveText('draft');

  await page.getByTestId('approve-password').fill('pi123');
  await page.getByTestId('approve-comment').fill('Ranges checked.');
  await shot(page, info, 'approve-dialog');
  await page.getByTestId('approve-confirm').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('recipe-detail-status')).toHaveText('approved');
  await expect(page.getByTestId('approve-button')).toHaveCount(0);
  await expect(page.getByTestId('edit-recipe')).toHaveCount(0);
  const approval = page.getByTestId('approval');
  await expect(approval).toHaveCount(1);
  await expect(approval).toContainText('(pi)');
  await expect(approval).toContainText('Ranges checked.');
  await expect(page.getByTestId('approval-matches')).toHaveAttribute('data-matches', 'true');
  await shot(page, info, 'recipe-approved');

  // An approved revision cannot change: a new version is a new draft.
  await page.getByTestId('new-version').click();
  await expect(page.getByTestId('recipe-detail-status')).toHaveText('draft');
  await expect(page.locator('h1')).toContainText('rev. 2');
  await expect(page.getByTestId('recipe-parameter')).toContainText('v_max');

  // Retire revision 1.
  await page.getByTestId('recipe-revisions').getByRole('link', { name: 'Rev. 1' }).click();
  await page.getByTestId('retire-button').click();
  await page.getByTestId('retire-dialog-confirm').click();
  await expect(page.getByTestId('recipe-detail-status')).toHaveText('retired');
  await expect(page.getByTestId('retire-button')).toHaveCount(0);
});

test('the engineer drafts a recipe: the server’s range errors show at the parameter, then it saves and edits', async ({
  page,
}, info) => {
  const name = `E2E draft ${Date.now()}`;
  await loginAs(page, 'engineer');
  await page.getByTestId('nav-recipes').click();
  await page.getByTestId('new-recipe').click();
  await page.getByTestId('save-recipe').click();
  await expect(page.getByTestId('recipe-form')).toContainText('A name is required.');

  await page.getByTestId('recipe-name').fill(name);
  await page.getByTestId('recipe-kinds').fill('SMU, probe station');
  await page.getByTestId('add-param').click();
  await page.getByTestId('param-name').fill('v_max');
  await page.getByTestId('param-unit').fill('V');
  await page.getByTestId('param-min').fill('10');
  await page.getByTestId('param-max').fill('1');
  await page.getByTestId('save-recipe').click();
  // 422 parameters[0].max → under the Max cell.
  await expect(page.getByTestId('param-row').locator('td.field-invalid').first()).toBeVisible();
  await expect(page.getByTestId('param-max')).toHaveAttribute('aria-invalid', 'true');
  await shot(page, info, 'recipe-form-errors');

  await page.getByTestId('param-min').fill('0');
  await page.getByTestId('param-max').fill('20');
  await page.getByTestId('save-recipe').click();
  await expect(page.getByTestId('recipe-detail-name')).toHaveText(name);
  await expect(page.getByTestId('recipe-kinds')).toContainText('probe station');

  await page.getByTestId('edit-recipe').click();
  await page.getByTestId('recipe-description').fill('Edited in the browser.');
  await page.getByTestId('save-recipe').click();
  await expect(page.getByTestId('recipe-detail-description')).toHaveText('Edited in the browser.');

  // The status filter shows retired revisions only.
  await page.getByTestId('nav-recipes').click();
  await page.getByTestId('recipe-status-filter').selectOption('retired');
  await expect(page).toHaveURL(/status=retired/);
  await expect(page.getByTestId('recipe-row').filter({ hasText: 'Legacy XRD Scan' })).toBeVisible();
  await expect.poll(async () => [...new Set(await page.getByTestId('recipe-status').allTextContents())]).toEqual(['retired']);
});
