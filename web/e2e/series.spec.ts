// A curve in the browser: the engineer uploads a Keithley-style IV export
// to a running run and sees it plotted (log current axis, values on hover,
// zoom re-read from the server), overlays an earlier run of the recipe,
// and a bad file is refused naming its line.
import { apiToken, expect, loginAs, runningIVRun, shot, test } from './fixtures';
import type { APIRequestContext, Page } from '@playwright/test';
import { readPdf, type PdfContent } from './pdf';

/** Downloads the run page's PDF report with its button and reads it. */
async function downloadPdf(page: Page, run: string): Promise<PdfContent> {
  const download = page.waitForEvent('download');
  await page.getByTestId('download-pdf').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`run-${run}.pdf`);
  const pdf = await readPdf(await file.path());
  expect(pdf.pages).toBeGreaterThan(0);
  return pdf;
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
  const run = await runningIVRun(request, `E2E series ${Date.now()}`);
  const name = `W1-IV-${Date.now().toString(36)}`; // its own name: no earlier run has a curve of it to overlay
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

  await page.getByTestId('series-file').setInputFiles({ name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(keithleyCSV()) });
  await page.getByTestId('upload-series').click();
  await expect(page.getByTestId('series-done')).toContainText(`${name}: 401 rows stored`);
  // The recipe derives the threshold voltage: in the message and the results, marked as derived.
  await expect(page.getByTestId('series-done')).toContainText(/threshold_voltage = 0\.4[45]\d* V/);
  // The export is kept as the series' raw file, listed with its digest.
  await expect(page.getByTestId('files-table')).toContainText(`${name}.csv`);
  await expect(page.getByTestId('files-table')).toContainText('text/csv');
  const derived = page.getByTestId('result-row').filter({ hasText: 'threshold_voltage' });
  await expect(derived.getByTestId('result-derived')).toHaveText('threshold voltage of a data series');
  // The control chart of the threshold voltage gained this run's point.
  const eng = { Authorization: `Bearer ${await apiToken(request, 'engineer')}` };
  const spc = (await (await request.get('/api/analysis/spc/series', { headers: eng })).json()) as { items: { id: string; metric: string }[] };
  const vth = spc.items.find((x) => x.metric === 'threshold_voltage');
  const points = (await (await request.get(`/api/analysis/spc/series/${vth?.id}/points?limit=200`, { headers: eng })).json()) as {
    items: { run_id: string | null; value: number }[];
  };
  const mine = points.items.find((p) => p.run_id === run);
  expect(mine?.value).toBeCloseTo(0.45, 2);
  await page.goto(`/spc/${vth?.id}`);
  await expect(page.getByTestId('spc-chart')).toHaveAttribute('aria-label', /\d+ points/);
  await page.goto(`/runs/${run}`);

  // The PDF report the server makes shows the curve: its caption and axis
  // labels with units, the log current axis, the derived threshold voltage,
  // and vector paths through every point of the 401-row sweep (two: the
  // log axis breaks the curve at I = 0).
  const pdf = await downloadPdf(page, run);
  expect(pdf.text).toContain(`${name} — |Current| [A] against Voltage [V], 401 rows`);
  expect(pdf.text).toContain('Voltage [V]');
  expect(pdf.text).toContain('|Current| [A]');
  expect(pdf.text).toMatch(/^1e-\d+$/m);
  expect(pdf.text).toMatch(/threshold_voltage\n0\.4[45]\d*\nV\nderived: threshold voltage of/);
  expect(pdf.text).toContain('Demo Lab Engineer'); // the operator, by name
  expect(pdf.curveSegments).toBeGreaterThanOrEqual(0.95 * 401);
  expect(pdf.curveSegments).toBeLessThan(401);

  // The printable report opens styled (its stylesheet allowed by the app's CSP).
  const popup = page.waitForEvent('popup');
  await page.getByTestId('open-report').click();
  const report = await popup;
  await expect(report.locator('h1')).toHaveText('Run report');
  await expect(report.locator('table').first()).toHaveCSS('border-collapse', 'collapse');
  await expect(report.locator('th').first()).toHaveCSS('border-top-style', 'solid');
  await expect(report.locator('body')).not.toHaveCSS('font-family', /^"?Times/);
  // Its SVG plot: the sweep's points but the one at I = 0, which a log axis cannot show, in two lines.
  await expect(report.locator(`figure.plot[data-series="${name}"] polyline`)).toHaveCount(2);
  await expect(report.locator(`figure.plot[data-series="${name}"]`)).toHaveAttribute('data-points', '400');
  await report.emulateMedia({ media: 'print' });
  await expect(report.locator('section#data')).toHaveCSS('break-before', 'page');
  await shot(report, info, 'report');
  await report.close();

  const plot = page.locator(`[data-testid="series-plot"][data-series="${name}"]`);
  await expect(plot).toBeVisible();
  await expect(plot.getByTestId('series-rows')).toHaveText('401 rows');
  await expect(plot.locator('canvas')).toBeVisible();
  await expect(plot.getByTestId('plot-canvas')).toHaveAttribute('data-points', '401');
  // A current's axis starts logarithmic, labelled |I|.
  await expect(plot.getByTestId('plot-log')).toBeChecked();
  await expect(plot.getByTestId('plot-box')).toHaveAttribute('aria-label', `${name}: |Current| [A] against Voltage [V]`);

  // Hover: the legend shows the values under the cursor.
  // (The plot is redrawn once its width is known: hover until it answers.)
  const canvas = plot.locator('.u-over');
  await expect(async () => {
    await canvas.scrollIntoViewIfNeeded();
    const b = await canvas.boundingBox();
    if (!b) throw new Error('no plot area');
    await page.mouse.move(b.x + b.width * 0.8 - 3, b.y + b.height / 2);
    await page.mouse.move(b.x + b.width * 0.8, b.y + b.height / 2);
    await expect(plot.locator('.u-legend .u-value').nth(1)).toHaveText(/\d/, { timeout: 1000 });
  }).toPass();
  const box = await canvas.boundingBox();
  if (!box) throw new Error('no plot area');
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

  // Overlays: no other run of the recipe has a curve of this name; the seeded
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

/** A running run of a fresh, approved XRD recipe that derives the main peak's position and width. */
async function runningXRDRun(request: APIRequestContext): Promise<string> {
  const pi = { Authorization: `Bearer ${await apiToken(request, 'pi')}` };
  const eng = { Authorization: `Bearer ${await apiToken(request, 'engineer')}` };
  // The engineer drafts and submits it; the PI approves (an author may not).
  const recipe = await request.post('/api/lims/recipes', {
    headers: eng,
    data: {
      name: `E2E XRD scan ${Date.now()}`,
      description: 'θ–2θ scan of a powder.',
      instrument_kinds: ['XRD'],
      extractions: [
        { method: 'peak_position', metric: 'peak_2theta', unit: 'deg' },
        { method: 'peak_fwhm', metric: 'peak_fwhm', unit: 'deg' },
      ],
    },
  });
  expect(recipe.status(), await recipe.text()).toBe(201);
  const r = (await recipe.json()) as { id: string };
  const submitted = await request.post(`/api/lims/recipes/${r.id}/submit`, { headers: eng });
  expect(submitted.status(), await submitted.text()).toBe(200);
  const approved = await request.post(`/api/lims/recipes/${r.id}/approve`, { headers: pi, data: { password: 'pi123', comment: 'E2E' } });
  expect(approved.status(), await approved.text()).toBe(200);
  const samples = (await (await request.get('/api/lims/samples?limit=1', { headers: eng })).json()) as { items: { id: string }[] };
  const status = (await (await request.get('/api/analysis/calibrations/status', { headers: eng })).json()) as {
    items: { instrument: { id: string; name: string } }[];
  };
  const created = await request.post('/api/analysis/runs', {
    headers: eng,
    data: {
      recipe_id: r.id,
      sample_id: samples.items[0]?.id,
      instrument_ids: [status.items.find((i) => i.instrument.name === 'Bruker D8 XRD')?.instrument.id],
      parameters: {},
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const run = (await created.json()) as { id: string };
  const started = await request.post(`/api/analysis/runs/${run.id}/start`, { headers: eng, data: {} });
  expect(started.status(), await started.text()).toBe(200);
  return run.id;
}

test('engineer uploads an XRD .xy pattern, sees it plotted on a linear axis and its peak derived', async ({ page, request }, info) => {
  const run = await runningXRDRun(request);
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
  // The recipe's extractions: the Si (111) peak at 28.44° and its width (2√(ln 2)·0.08° ≈ 0.133°).
  await expect(page.getByTestId('series-done')).toContainText(/peak_2theta = 28\.4[34]\d* deg/);
  await expect(page.getByTestId('series-done')).toContainText(/peak_fwhm = 0\.13\d* deg/);
  await expect(page.getByTestId('result-row').filter({ hasText: 'peak_2theta' }).getByTestId('result-derived')).toHaveText('peak position of a data series');
  const plot = page.locator('[data-testid="series-plot"][data-series="Si-powder"]');
  await expect(plot.locator('canvas')).toBeVisible();
  await expect(plot.getByTestId('plot-log')).not.toBeChecked();
  await expect(plot.getByTestId('plot-box')).toHaveAttribute('aria-label', 'Si-powder: Counts against 2Theta');
  await expect(plot.getByTestId('plot-canvas')).toHaveAttribute('data-points', '2001');
  await shot(page, info, 'xrd');

  // The PDF plots the pattern on a linear axis, downsampled to about 800
  // points drawn as one vector path, with the derived peak.
  const pdf = await downloadPdf(page, run);
  expect(pdf.text).toContain('Si-powder — Counts against 2Theta, 2001 rows');
  expect(pdf.text).toMatch(/peak_2theta\n28\.4[34]\d*\ndeg\nderived: peak position of Si-powder/);
  expect(pdf.text).not.toMatch(/^1e-?\d+$/m); // no log ticks
  expect(pdf.longestPath).toBeGreaterThanOrEqual(760);
  expect(pdf.longestPath).toBeLessThan(2001);
});
