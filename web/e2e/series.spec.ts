// A curve in the browser: the engineer uploads a Keithley-style IV export
// to a running run and sees it plotted (log current axis, values on hover,
// zoom re-read from the server), overlays an earlier run of the recipe,
// and a bad file is refused naming its line.
import { apiToken, expect, loginAs, shot, test } from './fixtures';
import type { APIRequestContext } from '@playwright/test';

async function runningIVRun(request: APIRequestContext): Promise<string> {
  const eng = await apiToken(request, 'engineer');
  const auth = { Authorization: `Bearer ${eng}` };
  const recipes = (await (await request.get('/api/lims/recipes?status=approved&q=IV%20Sweep', { headers: auth })).json()) as {
    items: { id: string; name: string }[];
  };
  const samples = (await (await request.get('/api/lims/samples?limit=1', { headers: auth })).json()) as { items: { id: string }[] };
  const status = (await (await request.get('/api/analysis/calibrations/status', { headers: auth })).json()) as {
    items: { instrument: { id: string; name: string } }[];
  };
  const created = await request.post('/api/analysis/runs', {
    headers: auth,
    data: {
      recipe_id: recipes.items.find((r) => r.name === 'IV Sweep')?.id,
      sample_id: samples.items[0]?.id,
      instrument_ids: [status.items.find((i) => i.instrument.name === 'Keithley 2450 SMU')?.instrument.id],
      parameters: {},
      notes: `E2E series ${Date.now()}`,
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const run = (await created.json()) as { id: string };
  const started = await request.post(`/api/analysis/runs/${run.id}/start`, { headers: auth, data: {} });
  expect(started.status(), await started.text()).toBe(200);
  return run.id;
}

/** A Keithley 2450 sweep export: a preamble, quoted header with units, 401 rows. */
function keithleyCSV(): string {
  const rows = ['Keithley 2450 SourceMeter,Linear sweep', 'Compliance (A),0.001', '"Voltage (V)","Current (A)"'];
  for (let k = 0; k <= 400; k++) {
    const v = -2 + k / 100;
    const i = v < 0.45 ? 1e-9 * v : Math.min(1e-3, 5e-4 * (v - 0.45) + 1e-9 * v);
    rows.push(`${v.toFixed(2)},${i.toExponential(4)}`);
  }
  return rows.join('\r\n') + '\r\n';
}

test('engineer uploads an IV export and sees the curve, zooms and overlays an earlier run', async ({ page, request }, info) => {
  const run = await runningIVRun(request);
  await loginAs(page, 'engineer');
  await page.goto(`/runs/${run}`);
  await expect(page.getByTestId('run-detail-status')).toHaveText('running');
  await expect(page.getByTestId('no-series')).toBeVisible();

  // A bad cell: refused with its line and column; nothing is stored.
  await page.getByTestId('series-file').setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('V [V],I [A]\n-1,-1e-9\n0,oops\n'),
  });
  await page.getByTestId('upload-series').click();
  await expect(page.getByTestId('series-errors')).toContainText('line 3, column 2');
  await expect(page.getByTestId('no-series')).toBeVisible();

  await page.getByTestId('series-file').setInputFiles({ name: 'W1-IV.csv', mimeType: 'text/csv', buffer: Buffer.from(keithleyCSV()) });
  await page.getByTestId('upload-series').click();
  await expect(page.getByTestId('series-done')).toContainText('W1-IV: 401 rows stored');
  // The recipe derives the threshold voltage: in the message and the results, marked as derived.
  await expect(page.getByTestId('series-done')).toContainText(/threshold_voltage = 0\.4[45]\d* V/);
  const derived = page.getByTestId('result-row').filter({ hasText: 'threshold_voltage' });
  await expect(derived.getByTestId('result-derived')).toHaveText('threshold voltage of a data series');

  const plot = page.locator('[data-testid="series-plot"][data-series="W1-IV"]');
  await expect(plot).toBeVisible();
  await expect(plot.getByTestId('series-rows')).toHaveText('401 rows');
  await expect(plot.locator('canvas')).toBeVisible();
  await expect(plot.getByTestId('plot-canvas')).toHaveAttribute('data-points', '401');
  // A current's axis starts logarithmic, labelled |I|.
  await expect(plot.getByTestId('plot-log')).toBeChecked();
  await expect(plot.getByTestId('plot-box')).toHaveAttribute('aria-label', 'W1-IV: |Current| [A] against Voltage [V]');

  // Hover: the legend shows the values under the cursor.
  const canvas = plot.locator('.u-over');
  const box = await canvas.boundingBox();
  if (!box) throw new Error('no plot area');
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
  await expect(plot.locator('.u-legend .u-value').nth(1)).toHaveText(/\d/);
  await shot(page, info, 'plotted');

  // Zoom: drag across the right half; the server re-reads that x range.
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(plot.getByTestId('plot-reset')).toBeVisible();
  await expect(plot.getByTestId('series-rows')).toContainText('in range');
  await plot.getByTestId('plot-reset').click();
  await expect(plot.getByTestId('series-rows')).toHaveText('401 rows');

  // Overlays: the seeded runs of the recipe have no "W1-IV"; the seeded
  // curves ("IV sweep") overlay each other on a seeded run's page.
  await expect(plot.getByTestId('plot-overlay')).toHaveCount(0);
  const list = await request.get('/api/analysis/series?name=IV%20sweep&limit=1', {
    headers: { Authorization: `Bearer ${await apiToken(request, 'engineer')}` },
  });
  const seeded = ((await list.json()) as { items: { run_id: string }[] }).items[0];
  await page.goto(`/runs/${seeded?.run_id}`);
  const sweep = page.locator('[data-testid="series-plot"][data-series="IV sweep"]');
  await expect(sweep.getByTestId('plot-canvas')).toHaveAttribute('data-points', '81');
  await expect(sweep.getByTestId('plot-overlay')).toHaveCount(5);
  await sweep.getByTestId('plot-overlay').first().check();
  await expect(sweep.locator('.u-legend')).toContainText('run of');
  await shot(page, info, 'overlay');
});

test('engineer uploads an XRD .xy pattern and sees it plotted on a linear axis', async ({ page, request }, info) => {
  const run = await runningIVRun(request);
  const lines = ['# Bruker D8 Advance, Cu Ka, 0.02 deg step', '2Theta Counts'];
  for (let k = 0; k <= 2000; k++) {
    const t = 20 + k * 0.02;
    const peak = (c: number, h: number) => h * Math.exp(-(((t - c) / 0.08) ** 2));
    lines.push(`${t.toFixed(2)} ${Math.round(120 + peak(28.44, 5200) + peak(47.3, 2100) + peak(56.12, 1400))}`);
  }
  await loginAs(page, 'engineer');
  await page.goto(`/runs/${run}`);
  await page.getByTestId('series-file').setInputFiles({ name: 'Si-powder.xy', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\n') + '\n') });
  await page.getByTestId('upload-series').click();
  await expect(page.getByTestId('series-done')).toContainText('Si-powder: 2,001 rows stored');
  const plot = page.locator('[data-testid="series-plot"][data-series="Si-powder"]');
  await expect(plot.locator('canvas')).toBeVisible();
  await expect(plot.getByTestId('plot-log')).not.toBeChecked();
  await expect(plot.getByTestId('plot-box')).toHaveAttribute('aria-label', 'Si-powder: Counts against 2Theta');
  await expect(plot.getByTestId('plot-canvas')).toHaveAttribute('data-points', '2001');
  await shot(page, info, 'xrd');
});
