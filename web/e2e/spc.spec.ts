// SPC in the browser: a control chart marks the points that broke a rule;
// an engineer acknowledges the alert with a comment.
import { apiToken, expect, loginAs, shot, test } from './fixtures';

test('engineer sees the control chart with a rule break marked and acknowledges the alert', async ({ page, request }, info) => {
  // A series of its own, with points of which the last breaks rule 1.
  const eng = await apiToken(request, 'engineer');
  const headers = { Authorization: `Bearer ${eng}` };
  const metric = `e2e_metric_${Date.now().toString(36)}`;
  const res = await request.post('/api/analysis/spc/series', {
    headers,
    data: { name: `E2E ${metric}`, metric, unit: 'V', center_line: 1, sigma: 0.1 },
  });
  expect(res.status(), await res.text()).toBe(201);
  const series = (await res.json()) as { id: string };
  const base = Date.now() - 20 * 3_600_000;
  const values = [1.02, 0.97, 1.05, 0.94, 1.01, 0.99, 1.45];
  const added = await request.post(`/api/analysis/spc/series/${series.id}/points`, {
    headers,
    data: { points: values.map((value, i) => ({ value, ts: new Date(base + i * 3_600_000).toISOString() })) },
  });
  expect(added.status(), await added.text()).toBeLessThan(300);

  await loginAs(page, 'engineer');
  await page.getByTestId('nav-spc').click();
  await expect(page.getByTestId('spc-series-row').first()).toBeVisible();
  await shot(page, info, 'spc');
  await page.goto(`/spc/${series.id}`);
  await expect(page.getByTestId('spc-series-name')).toHaveText(`E2E ${metric}`);
  const chart = page.getByTestId('spc-chart');
  await expect(chart).toHaveAttribute('aria-label', /7 points, 1 breaking a rule/);
  await expect(chart.locator('.recharts-reference-line')).toHaveCount(7); // CL, UCL, LCL, ±1σ, ±2σ
  await expect(chart.locator('.spc-flagged')).toHaveCount(1);

  const alert = page.getByTestId('spc-alert').filter({ hasText: 'WE1' });
  await expect(alert).toBeVisible();
  await shot(page, info, 'series');
  await alert.getByTestId('ack-button').click();
  // A comment is required.
  await alert.getByTestId('ack-submit').click();
  await expect(alert.getByText('A comment is required.')).toBeVisible();
  await alert.getByTestId('ack-comment').fill('Probe card re-seated; re-measured in control.');
  await alert.getByTestId('ack-submit').click();
  await expect(page.getByTestId('no-alerts')).toBeVisible();
  await page.getByTestId('alerts-filter').selectOption('true');
  await expect(page.getByTestId('ack-note')).toContainText('Probe card re-seated');
  await expect(page.getByTestId('ack-button')).toHaveCount(0);
  // The point stays marked: it did break the rule.
  await expect(chart.locator('.spc-flagged')).toHaveCount(1);
  await shot(page, info, 'acknowledged');
});
