import { expect, loginAs, shot, test } from './fixtures';

test('notebook search finds the entry and highlights the term', async ({ page }, info) => {
  await loginAs(page, 'engineer');
  await page.getByTestId('nav-notebook').click();
  await expect(page.getByTestId('eln-row').first()).toBeVisible();
  await shot(page, info, 'notebook');

  await page.getByTestId('eln-search').fill('silicon');
  await page.getByTestId('eln-search-submit').click();
  await expect(page).toHaveURL(/q=silicon/);
  const hit = page.getByTestId('eln-row').filter({ hasText: 'XRD alignment notes' });
  await expect(hit).toBeVisible();
  await expect(hit.locator('mark').first()).toHaveText(/silicon/i);
  await shot(page, info, 'notebook-search');

  await hit.getByTestId('eln-link').click();
  await expect(page.getByTestId('eln-detail-title')).toHaveText('XRD alignment notes');
});

test('an engineer writes an entry, signs it with the password, and it is locked', async ({ page }, info) => {
  const word = `zephyrite${Date.now().toString(36)}`;
  const title = `E2E entry ${word}`;
  await loginAs(page, 'engineer');
  await page.getByTestId('nav-notebook').click();
  await page.getByTestId('new-entry').click();
  await expect(page).toHaveURL(/\/eln\/new$/);

  await page.getByTestId('save-eln').click();
  await expect(page.getByTestId('eln-form')).toContainText('A title is required.');
  await expect(page.getByTestId('eln-form')).toContainText('Choose the project.');

  await page.getByTestId('eln-title').fill(title);
  await page.getByTestId('eln-project').selectOption({ index: 1 });
  await page.getByTestId('eln-samples').selectOption({ index: 0 });
  await page.getByTestId('eln-body').fill(`## Observation\n\nThe ${word} film looks **uniform**.\n\n- thickness 120 nm`);
  await expect(page.getByTestId('eln-preview').locator('h3')).toHaveText('Observation');
  await expect(page.getByTestId('eln-preview').locator('strong')).toHaveText('uniform');
  await shot(page, info, 'eln-new');
  await page.getByTestId('save-eln').click();

  await expect(page.getByTestId('eln-detail-title')).toHaveText(title);
  await expect(page.getByTestId('edit-entry')).toBeVisible();
  await expect(page.getByTestId('locked-badge')).toHaveCount(0);
  await expect(page.getByTestId('no-signatures')).toBeVisible();
  await expect(page.getByTestId('eln-detail-samples').getByRole('link')).toHaveCount(1);

  // Unsigned, it can still be edited; the form comes back with its project and sample.
  await page.getByTestId('edit-entry').click();
  await expect(page.getByTestId('eln-project')).not.toHaveValue('');
  await expect(page.getByTestId('eln-samples').locator('option:checked')).toHaveCount(1);
  await page.getByTestId('eln-body').press('Control+End');
  await page.getByTestId('eln-body').pressSequentially('\n- edited before signing');
  await page.getByTestId('save-eln').click();
  await expect(page.getByTestId('eln-body-rendered')).toContainText('edited before signing');
  await expect(page.getByTestId('eln-detail-samples').getByRole('link')).toHaveCount(1);

  // A wrong password: the 401 shows in the dialog, and the user stays signed in.
  await page.getByTestId('sign-button').click();
  const dialog = page.getByTestId('sign-dialog');
  await page.getByTestId('sign-meaning').selectOption('authored');
  await page.getByTestId('sign-password').fill('wrong-password');
  await page.getByTestId('sign-confirm').click();
  await expect(dialog).toContainText('not your password');
  await expect(page).toHaveURL(/\/eln\/[0-9a-f-]+$/);
  await expect(page.getByTestId('user-menu')).toBeVisible();
  await expect(page.getByTestId('locked-badge')).toHaveCount(0);
  await shot(page, info, 'sign-wrong-password');

  await page.getByTestId('sign-password').fill('eng123');
  await page.getByTestId('sign-confirm').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('locked-badge')).toHaveText('Signed — locked');
  await expect(page.getByTestId('edit-entry')).toHaveCount(0);
  const row = page.getByTestId('signature-row');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('signature-role')).toHaveText('engineer');
  await expect(row.getByTestId('signature-meaning')).toHaveText('authored');
  await expect(row.getByTestId('signature-hash')).toHaveText(/^[0-9a-f]{16}…$/);
  await expect(row.getByTestId('signature-matches')).toHaveAttribute('data-matches', 'true');

  // Corrections are amendments; the signed original and its signature stay.
  await page.getByTestId('amend-entry').click();
  await page.getByTestId('amend-body').fill('Thickness was 125 nm, not 120 nm.');
  await page.getByTestId('save-amendment').click();
  await expect(page.getByTestId('amendment')).toContainText('125 nm');
  await expect(page.getByTestId('eln-body-rendered')).toContainText('thickness 120 nm');
  await expect(page.getByTestId('signature-matches')).toHaveAttribute('data-matches', 'true');
  await shot(page, info, 'eln-signed');

  // And the search finds it by its own word.
  await page.getByTestId('nav-notebook').click();
  await page.getByTestId('eln-search').fill(word);
  await page.getByTestId('eln-search-submit').click();
  await expect(page.getByTestId('eln-row').filter({ hasText: title }).locator('mark').first()).toHaveText(word);
});
