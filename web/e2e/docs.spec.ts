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
  const doc = (await (await page.request.get('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { tags?: string[] }>>;
  };
  // Each area of the document is listed, collapsed; opened, it shows every
  // operation the document gives it.
  const byTag = new Map<string, number>();
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      const tag = op.tags?.[0] ?? 'default';
      byTag.set(tag, (byTag.get(tag) ?? 0) + 1);
    }
  }
  const sections = page.locator('.swagger-ui .opblock-tag-section');
  await expect(sections).toHaveCount(byTag.size);
  let shown = 0;
  for (const [tag, count] of byTag) {
    const section = sections.filter({ has: page.locator(`.opblock-tag[data-tag="${tag}"]`) });
    await section.locator('.opblock-tag').click();
    await expect(section.locator('.opblock')).toHaveCount(count);
    shown += count;
    await section.locator('.opblock-tag').click();
  }
  expect(shown).toBe(Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0));
  const runs = sections.filter({ has: page.locator('.opblock-tag[data-tag="analysis: runs"]') });
  await runs.locator('.opblock-tag').click();
  await runs.locator('.opblock-summary-path', { hasText: '/api/analysis/runs' }).first().click();
  await expect(page.locator('.swagger-ui .opblock.is-open').first()).toBeVisible();
  await shot(page, info, 'docs');
  expect(foreign).toEqual([]);
  expect(cspErrors).toEqual([]);
});
