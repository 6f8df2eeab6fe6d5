import { expect, loginAs, shot, test } from './fixtures';

test('an engineer drafts an SOP in Markdown and submits it, the PI approves it, nobody can edit it then', async ({ browser }, info) => {
  const code = `SOP-E2E-${Date.now().toString(36).toUpperCase()}`;
  const eng = await browser.newPage();
  await loginAs(eng, 'engineer');
  await eng.getByTestId('nav-sops').click();
  await expect(eng.getByTestId('sop-row').first()).toBeVisible();
  await shot(eng, info, 'sops');

  await eng.getByTestId('new-sop').click();
  await eng.getByTestId('sop-code').fill(code);
  await eng.getByTestId('sop-title').fill('Probe cleaning');
  await eng.getByTestId('sop-body').fill('# Steps\n\n1. **Isopropanol** wipe\n2. Dry with N2\n\n<script>window.bad=1</script>');
  await expect(eng.getByTestId('sop-preview').locator('strong')).toHaveText('Isopropanol');
  await expect(eng.getByTestId('sop-preview').locator('script')).toHaveCount(0);
  await shot(eng, info, 'sop-form');
  await eng.getByTestId('save-sop').click();
  await expect(eng.getByTestId('sop-detail-code')).toHaveText(code);
  await expect(eng.getByTestId('sop-body-rendered').locator('h2')).toHaveText('Steps');
  await expect(eng.getByTestId('sop-body-rendered').locator('li')).toHaveCount(2);
  await expect(eng.getByTestId('approve-button')).toHaveCount(0);
  // Submitted for review, it cannot change; the engineer may take it back.
  await eng.getByTestId('submit-review').click();
  await expect(eng.getByTestId('sop-in-review')).toBeVisible();
  await expect(eng.getByTestId('edit-sop')).toHaveCount(0);
  await expect(eng.getByTestId('withdraw-review')).toBeVisible();
  await expect(eng.getByTestId('approve-button')).toHaveCount(0);
  const url = eng.url();
  await eng.close();

  const pi = await browser.newPage();
  await loginAs(pi, 'pi');
  await pi.goto(url);
  await pi.getByTestId('approve-button').click();
  await pi.getByTestId('approve-password').fill('pi123');
  await pi.getByTestId('approve-confirm').click();
  await expect(pi.getByTestId('sop-detail-status')).toHaveText('approved');
  await expect(pi.getByTestId('edit-sop')).toHaveCount(0);
  await expect(pi.getByTestId('approval')).toContainText('(pi)');
  await shot(pi, info, 'sop-approved');
  await pi.close();
});
