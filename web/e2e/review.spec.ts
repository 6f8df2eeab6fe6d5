import { apiToken, expect, loginAs, shot, test } from './fixtures';

// The review queue (PRODUCT.md §14): an engineer drafts and submits a
// recipe; the PI finds it under Review and approves it from there with an
// e-signature, told of it by the inbox; the engineer is offered no approval, and an author's own
// submission is marked in the queue and not offered to them either.
test('an engineer submits a recipe, the PI approves it from the review queue', async ({ browser, request }, info) => {
  const name = `E2E review ${Date.now()}`;
  const eng = await browser.newPage();
  await loginAs(eng, 'engineer');
  await expect(eng.getByTestId('nav-recipes')).toBeVisible();
  await expect(eng.getByTestId('nav-review')).toHaveCount(0); // engineers do not review
  await eng.getByTestId('nav-recipes').click();
  await eng.getByTestId('new-recipe').click();
  await eng.getByTestId('recipe-name').fill(name);
  await eng.getByTestId('save-recipe').click();
  await expect(eng.getByTestId('recipe-detail-name')).toHaveText(name);
  await eng.getByTestId('submit-review').click();
  await expect(eng.getByTestId('recipe-in-review')).toBeVisible();
  await expect(eng.getByTestId('approve-button')).toHaveCount(0);
  await expect(eng.getByTestId('edit-recipe')).toHaveCount(0);
  await shot(eng, info, 'recipe-in-review');
  const recipeUrl = eng.url();
  // The queue is not theirs: the page is refused.
  await eng.goto('/review');
  await expect(eng.getByRole('heading', { name: 'Not available to your role' })).toBeVisible();
  await expect(eng.getByTestId('review-table')).toHaveCount(0);
  await eng.close();

  // The PI's own submission: in the queue, but not theirs to approve.
  const piToken = await apiToken(request, 'pi');
  const own = await request.post('/api/lims/sops', {
    headers: { Authorization: `Bearer ${piToken}` },
    data: { code: `SOP-OWN-${Date.now().toString(36).toUpperCase()}`, title: 'The PI’s own' },
  });
  expect(own.status(), await own.text()).toBe(201);
  const ownId = ((await own.json()) as { id: string }).id;
  const sub = await request.post(`/api/lims/sops/${ownId}/submit`, { headers: { Authorization: `Bearer ${piToken}` } });
  expect(sub.status(), await sub.text()).toBe(200);

  const pi = await browser.newPage();
  await loginAs(pi, 'pi');
  // The submission reached the PI: the badge counts it, the inbox names it.
  await expect(pi.getByTestId('inbox-badge')).toBeVisible();
  await pi.getByTestId('inbox-link').click();
  await expect(pi.getByTestId('inbox-item').filter({ hasText: `For your review: recipe ${name}, revision 1` })).toHaveCount(1);
  await pi.getByTestId('nav-review').click();
  const row = pi.getByTestId('review-row').filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Recipe');
  await expect(row).toContainText('Demo Lab Engineer');
  const ownRow = pi.locator(`[data-testid="review-row"][data-id="${ownId}"]`);
  await expect(ownRow.getByTestId('review-own')).toHaveText('another approver must approve');
  await expect(row.getByTestId('review-own')).toHaveText('');
  await shot(pi, info, 'review-queue');

  // Their own: opened, no Approve.
  await ownRow.getByTestId('review-open').click();
  await expect(pi.getByTestId('sop-in-review')).toContainText('another approver must approve');
  await expect(pi.getByTestId('approve-button')).toHaveCount(0);

  // The engineer's: opened from the queue and approved with the password.
  await pi.getByTestId('nav-review').click();
  await row.getByTestId('review-open').click();
  await expect(pi).toHaveURL(recipeUrl);
  await pi.getByTestId('approve-button').click();
  await pi.getByTestId('approve-password').fill('pi123');
  await pi.getByTestId('approve-comment').fill('Approved from the queue.');
  await pi.getByTestId('approve-confirm').click();
  await expect(pi.getByTestId('recipe-detail-status')).toHaveText('approved');
  await expect(pi.getByTestId('approval')).toContainText('Approved from the queue.');
  await pi.getByTestId('nav-review').click();
  await expect(pi.getByTestId('review-row').first()).toBeVisible();
  await expect(pi.getByTestId('review-row').filter({ hasText: name })).toHaveCount(0);
  await pi.close();
});

test('the PI sends a submitted recipe back with a reason; the engineer sees it and edits again', async ({ browser, request }) => {
  const name = `E2E reject ${Date.now()}`;
  const engToken = await apiToken(request, 'engineer');
  const made = await request.post('/api/lims/recipes', { headers: { Authorization: `Bearer ${engToken}` }, data: { name } });
  expect(made.status(), await made.text()).toBe(201);
  const id = ((await made.json()) as { id: string }).id;
  const sub = await request.post(`/api/lims/recipes/${id}/submit`, { headers: { Authorization: `Bearer ${engToken}` } });
  expect(sub.status(), await sub.text()).toBe(200);

  const pi = await browser.newPage();
  await loginAs(pi, 'pi');
  await pi.goto(`/recipes/${id}`);
  await pi.getByTestId('reject-button').click();
  await expect(pi.getByTestId('reject-confirm')).toBeDisabled(); // a reason is required
  await pi.getByTestId('reject-reason').fill('Give the voltage range.');
  await pi.getByTestId('reject-confirm').click();
  await expect(pi.getByTestId('recipe-rejected')).toContainText('Give the voltage range.');
  await expect(pi.getByTestId('approve-button')).toHaveCount(0);
  await pi.close();

  const eng = await browser.newPage();
  await loginAs(eng, 'engineer');
  await eng.goto(`/recipes/${id}`);
  await expect(eng.getByTestId('recipe-review-note')).toHaveText('Give the voltage range.');
  await expect(eng.getByTestId('edit-recipe')).toBeVisible();
  await expect(eng.getByTestId('submit-review')).toBeVisible();
  await eng.close();
});
