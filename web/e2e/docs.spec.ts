// /docs renders the API's OpenAPI document with Swagger UI from files the
// binary embeds: nothing comes from another origin (this machine has no
// internet, so a CDN script would leave the page empty).
import { expect, shot, test } from './fixtures';

test('the API documentation renders every operation, offline', async ({ page, baseURL }, info) => {
  const origin = new URL(baseURL ?? 'http://invalid').origin;
  const foreign: string[] = [];
  const cspErrors: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await page.goto('/docs');
  await expect(page.locator('.swagger-ui .info .title')).toContainText('SPECTRA-Lab API');
  const doc = (await (await page.request.get('/openapi.json')).json()) as { paths: Record<string, object> };
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  await expect(page.locator('.swagger-ui .opblock')).toHaveCount(operations);
  await page.locator('.swagger-ui .opblock-summary-path', { hasText: '/api/analysis/runs' }).first().click();
  await expect(page.locator('.swagger-ui .opblock.is-open').first()).toBeVisible();
  await shot(page, info, 'docs');
  expect(foreign).toEqual([]);
  expect(cspErrors).toEqual([]);
});
