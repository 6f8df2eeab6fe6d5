// The ML registry: models and feature sets, and the model life in the
// browser (draft → validated → deployed → retired) for an engineer; a
// viewer reads it and changes nothing.
import { apiToken, expect, loginAs, shot, test } from './fixtures';

test('engineer takes a model from draft to deployed and retires it; a viewer only reads', async ({ page, request }, info) => {
  const token = await apiToken(request, 'engineer');
  const auth = { Authorization: `Bearer ${token}` };
  const sets = await request.get('/api/analysis/feature-sets?limit=1', { headers: auth });
  const fs = ((await sets.json()) as { items: { id: string }[] }).items[0]?.id;
  expect(fs, 'the demo data has a feature set').toBeTruthy();
  const name = `e2e-model-${Date.now().toString(36)}`;
  const created = await request.post('/api/analysis/models', {
    headers: auth,
    data: { name, feature_set_id: fs, algorithm: 'random forest', artifact_uri: 's3://models/e2e/1', metrics: { auc: 0.88 } },
  });
  expect(created.status(), await created.text()).toBe(201);
  const id = ((await created.json()) as { id: string }).id;

  await loginAs(page, 'engineer');
  await page.getByTestId('nav-models').click();
  await expect(page.getByTestId('feature-set-row').first()).toBeVisible();
  await page.getByTestId('model-search').fill(name);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('model-row')).toHaveCount(1);
  await shot(page, info, 'models');
  await page.getByTestId('model-link').click();
  await expect(page.getByTestId('model-detail-status')).toHaveText('draft');
  // No way around validation: a draft offers Validate and Retire only.
  await expect(page.getByTestId('model-deployed')).toHaveCount(0);
  await page.getByTestId('model-validated').click();
  await expect(page.getByTestId('model-detail-status')).toHaveText('validated');
  await page.getByTestId('model-deployed').click();
  await expect(page.getByTestId('model-detail-status')).toHaveText('deployed');
  await shot(page, info, 'model-deployed');
  await page.getByTestId('model-retired').click();
  await expect(page.getByTestId('model-detail-status')).toHaveText('retired');
  await expect(page.getByRole('button', { name: /Validate|Deploy|Retire/ })).toHaveCount(0); // retired is final

  await page.getByTestId('user-menu').click();
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login/);
  await loginAs(page, 'viewer');
  await page.goto(`/models/${id}`);
  await expect(page.getByTestId('model-title')).toContainText(name);
  await expect(page.getByRole('button', { name: /Validate|Deploy|Retire/ })).toHaveCount(0);
});
