import { apiToken, expect, loginAs, shot, test } from './fixtures';

test('engineer creates a sample, finds it in the list, edits it and records custody', async ({ page }, info) => {
  const barcode = `E2E-${Date.now().toString(36).toUpperCase()}`;
  await loginAs(page, 'engineer');
  await page.getByTestId('nav-samples').click();
  await expect(page.getByTestId('sample-row').first()).toBeVisible();
  await shot(page, info, 'samples');

  await page.getByTestId('new-sample').click();
  // The form checks required fields before asking the server.
  await page.getByTestId('save-sample').click();
  await expect(page.getByText('A barcode is required.')).toBeVisible();
  await page.getByTestId('sample-barcode').fill(barcode);
  await page.getByTestId('sample-name').fill('Browser-made sample');
  await page.getByTestId('sample-material').fill('GaN on Si');
  await page.getByTestId('sample-location').fill('Shelf E2E');
  await shot(page, info, 'new-sample-form');
  await page.getByTestId('save-sample').click();

  // Saved: the detail page of the new sample.
  await expect(page.getByTestId('sample-detail-barcode')).toHaveText(barcode);
  await expect(page.getByTestId('sample-detail-name')).toHaveText('Browser-made sample');

  // And the list, searched by barcode, has it.
  await page.getByTestId('nav-samples').click();
  await page.getByTestId('sample-search').fill(barcode);
  await page.getByTestId('sample-search-submit').click();
  await expect(page).toHaveURL(new RegExp(`q=${barcode}`));
  await expect(page.getByTestId('sample-row')).toHaveCount(1);
  await expect(page.getByTestId('sample-row')).toContainText('Browser-made sample');

  // Edit (If-Match with the version read).
  await page.getByTestId('sample-link').click();
  await page.getByTestId('edit-sample').click();
  await page.getByTestId('sample-name').fill('Browser-made sample, renamed');
  await page.getByTestId('save-sample').click();
  await expect(page.getByTestId('sample-detail-name')).toHaveText('Browser-made sample, renamed');

  // A duplicate barcode is the server's to refuse; its message shows.
  await page.getByTestId('edit-sample').click();
  await page.getByTestId('sample-barcode').fill('DL-S-0001');
  await page.getByTestId('save-sample').click();
  await expect(page.getByTestId('sample-form')).toContainText(/already|exists|unique|taken/i);
  await page.getByRole('button', { name: 'Cancel' }).click();

  // Custody: a transfer needs a holder; the server says so at the field.
  await page.getByTestId('record-custody').click();
  await page.getByTestId('custody-type').selectOption('transferred');
  await page.getByTestId('save-custody').click();
  await expect(page.getByTestId('custody-form').locator('.field-error, [data-testid="form-error"]')).toBeVisible();
  await page.getByTestId('custody-to-holder').fill('Dr. E2E');
  await page.getByTestId('save-custody').click();
  await expect(page.getByTestId('custody-event').filter({ hasText: 'to Dr. E2E' })).toBeVisible();
  await expect(page.getByTestId('sample-detail-holder')).toHaveText('Dr. E2E');
  await shot(page, info, 'sample-detail');
});

test('viewer sees samples but no new, edit or custody buttons', async ({ page }, info) => {
  await loginAs(page, 'viewer');
  await page.goto('/samples');
  await expect(page.getByTestId('sample-row').first()).toBeVisible();
  await expect(page.getByTestId('new-sample')).toHaveCount(0);
  await shot(page, info, 'samples');

  await page.getByTestId('sample-link').first().click();
  await expect(page.getByTestId('sample-detail-barcode')).toBeVisible();
  await expect(page.getByTestId('custody-timeline').or(page.getByText('No custody events yet.'))).toBeVisible();
  await expect(page.getByTestId('edit-sample')).toHaveCount(0);
  await expect(page.getByTestId('record-custody')).toHaveCount(0);
  await shot(page, info, 'sample-detail');
});

test('a test-org user sees none of demo-lab’s samples', async ({ page, request }, info) => {
  // A demo-lab sample's id, fetched as demo-lab's engineer.
  const token = await apiToken(request, 'engineer', 'demo-lab');
  const res = await request.get('/api/lims/samples?q=DL-S-0001', { headers: { Authorization: `Bearer ${token}` } });
  const demoSample = ((await res.json()) as { items: { id: string; barcode: string }[] }).items[0];
  expect(demoSample?.barcode).toBe('DL-S-0001');

  await loginAs(page, 'engineer', 'test-org');
  await expect(page.getByTestId('user-org')).toHaveText('Test Organization');
  await page.goto('/samples');
  const rows = page.getByTestId('sample-row');
  await expect(rows.first()).toBeVisible();
  const barcodes = await page.getByTestId('sample-link').allTextContents();
  expect(barcodes.length).toBeGreaterThan(0);
  for (const b of barcodes) expect(b).not.toMatch(/^DL-/);
  expect(barcodes.some((b) => b.startsWith('TO-S-'))).toBe(true);
  await shot(page, info, 'samples');

  await page.getByTestId('sample-search').fill('DL-S-0001');
  await page.getByTestId('sample-search-submit').click();
  await expect(page.getByTestId('samples-empty')).toBeVisible();
  await expect(rows).toHaveCount(0);

  // Even by id, demo-lab's sample does not exist for test-org.
  await page.goto(`/samples/${demoSample?.id}`);
  await expect(page.getByTestId('problem')).toContainText('404');
  await expect(page.getByTestId('sample-detail-barcode')).toHaveCount(0);
  await shot(page, info, 'foreign-sample');
});

test('the list page is in the URL: a reload stays on page 2 and Previous still works', async ({ page, request }) => {
  // Enough samples for a second page of 25, made through the API.
  const headers = { Authorization: `Bearer ${await apiToken(request, 'engineer')}` };
  const tag = `E2E-P-${Date.now().toString(36).toUpperCase()}`;
  for (let i = 0; i < 26; i++) {
    const res = await request.post('/api/lims/samples', { headers, data: { barcode: `${tag}-${i}`, name: `Paged ${tag}` } });
    expect(res.status(), await res.text()).toBe(201);
  }
  await loginAs(page, 'viewer');
  await page.goto(`/samples?q=${tag}`);
  await expect(page.getByTestId('sample-row')).toHaveCount(25);
  await page.getByTestId('next-page').click();
  await expect(page.getByTestId('sample-row')).toHaveCount(1);
  await expect(page).toHaveURL(/[?&]after=/);
  await page.reload();
  await expect(page.getByText('Page 2')).toBeVisible();
  await expect(page.getByTestId('sample-row')).toHaveCount(1);
  await expect(page.getByTestId('sample-search')).toHaveValue(tag);
  await page.getByTestId('prev-page').click();
  await expect(page.getByTestId('sample-row')).toHaveCount(25);
  await expect(page).not.toHaveURL(/after=/);
  // The browser's Back returns to page 2: each page is a history entry.
  await page.goBack();
  await expect(page.getByTestId('sample-row')).toHaveCount(1);
});
