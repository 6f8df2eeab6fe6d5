import { useQueries } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { $api } from '../../api/client';
import type { DataSeries, Plot } from '../../api/types';
import { ProblemMessage } from '../../components/ProblemMessage';
import { axisLabel, forLogAxis, logByDefault } from './plotdata';

const PLOT_HEIGHT = 320;

/** An axis tick: plain for ordinary magnitudes, 1e-9 style for a current's decades. */
function tick(v: number | null): string {
  if (v === null) return '';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(0) : String(Number(v.toPrecision(6)));
}

/** A value under the cursor, to four significant digits. */
function reading(v: number | null): string {
  return v === null || v === undefined ? '--' : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}
const OVERLAY_COLOURS = ['#d9480f', '#2b8a3e', '#862e9c', '#e67700', '#1864ab'];

/** Other runs' series the plot may overlay (same name, same recipe or sample). */
export type Overlay = { series: DataSeries; label: string };

/**
 * Plots one series: a y column against the x column, downsampled by the
 * server (LTTB) to about two points per pixel. Drag across the plot to
 * zoom: the server downsamples the chosen x range again from the rows, so
 * detail appears as you zoom. Current axes start logarithmic (|I|).
 */
export function SeriesPlot({ series, overlays = [] }: { series: DataSeries; overlays?: Overlay[] }) {
  const id = useId();
  const columns = series.columns ?? [];
  const yColumns = columns.slice(1);
  const [y, setY] = useState(1);
  const yCol = columns[y] ?? columns[1];
  const [log, setLog] = useState(() => logByDefault(yCol?.unit ?? ''));
  const [range, setRange] = useState<[number, number] | null>(null);
  const [shown, setShown] = useState<string[]>([]);
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(240, Math.floor(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const query = {
    y,
    points: Math.min(20000, Math.max(100, 2 * width)),
    ...(range ? { x_min: String(range[0]), x_max: String(range[1]) } : {}),
  };
  const main = $api.useQuery('get', '/api/analysis/series/{id}/plot', { params: { path: { id: series.id }, query } });
  const overlaid = useMemo(() => overlays.filter((o) => shown.includes(o.series.id)), [overlays, shown]);
  const plots = useQueries({
    queries: overlaid.map((o) =>
      $api.queryOptions('get', '/api/analysis/series/{id}/plot', { params: { path: { id: o.series.id }, query } }),
    ),
    combine: (results) => results.map((r) => r.data),
  });
  const extra = useMemo(
    () => overlaid.flatMap((o, i) => (plots[i] ? [{ label: o.label, plot: plots[i] }] : [])),
    [overlaid, plots],
  );

  return (
    <figure className="series-plot" data-testid="series-plot" data-series={series.name}>
      <figcaption className="page-head">
        <strong>{series.name}</strong>
        <span className="muted small" data-testid="series-rows">
          {series.rows.toLocaleString()} rows
          {main.data && main.data.rows !== series.rows ? `, ${main.data.rows.toLocaleString()} in range` : ''}
        </span>
      </figcaption>
      <div className="plot-controls">
        {yColumns.length > 1 && (
          <label>
            y{' '}
            <select value={y} onChange={(e) => setY(Number(e.target.value))} data-testid="plot-y">
              {yColumns.map((c, i) => (
                <option key={c.name} value={i + 1}>
                  {axisLabel(c.name, c.unit)}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} data-testid="plot-log" /> log y
        </label>
        {range && (
          <button type="button" className="secondary" onClick={() => setRange(null)} data-testid="plot-reset">
            Reset zoom
          </button>
        )}
        {overlays.length > 0 && (
          <fieldset className="overlays">
            <legend>Overlay</legend>
            {overlays.map((o) => (
              <label key={o.series.id}>
                <input
                  type="checkbox"
                  checked={shown.includes(o.series.id)}
                  data-testid="plot-overlay"
                  onChange={(e) =>
                    setShown((s) => (e.target.checked ? [...s, o.series.id] : s.filter((x) => x !== o.series.id)))
                  }
                />{' '}
                {o.label}
              </label>
            ))}
          </fieldset>
        )}
      </div>
      <div
        ref={box}
        id={id}
        className="plot-box"
        role="img"
        data-testid="plot-box"
        aria-label={`${series.name}: ${axisLabel(yCol?.name ?? '', yCol?.unit ?? '', log)} against ${axisLabel(columns[0]?.name ?? '', columns[0]?.unit ?? '')}`}
      >
        {main.isError && <ProblemMessage error={main.error} />}
        {main.data && (
          <Chart main={main.data} extra={extra} log={log} width={width} onZoom={(lo, hi) => setRange([lo, hi])} />
        )}
      </div>
    </figure>
  );
}

function Chart({
  main,
  extra,
  log,
  width,
  onZoom,
}: {
  main: Plot;
  extra: { label: string; plot: Plot }[];
  log: boolean;
  width: number;
  onZoom: (lo: number, hi: number) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const zoom = useRef(onZoom);
  useEffect(() => {
    zoom.current = onZoom;
  }, [onZoom]);

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const ys = (p: Plot) => (log ? forLogAxis(p.y_values ?? []) : (p.y_values ?? []));
    const xs = (p: Plot) => p.x_values ?? [];
    const sets: uPlot.AlignedData[] = [[xs(main), ys(main)], ...extra.map((e) => [xs(e.plot), ys(e.plot)] as uPlot.AlignedData)];
    // Runs sampled at other x values share one x axis: uPlot.join aligns
    // them (a gap where a curve has no point), and lines span the gaps.
    const data = sets.length === 1 ? sets[0] : uPlot.join(sets);
    const opts: uPlot.Options = {
      width,
      height: PLOT_HEIGHT,
      scales: { x: { time: false }, y: { distr: log ? 3 : 1 } },
      axes: [
        { label: axisLabel(main.x.name, main.x.unit), values: (_u, splits) => splits.map(tick) },
        { label: axisLabel(main.y.name, main.y.unit, log), size: 80, values: (_u, splits) => splits.map(tick) },
      ],
      series: [
        { label: axisLabel(main.x.name, main.x.unit), value: (_u, v) => reading(v) },
        { label: 'this run', stroke: '#1c7ed6', width: 1.5, spanGaps: true, points: { show: false }, value: (_u, v) => reading(v) },
        ...extra.map((e, i) => ({
          label: e.label,
          stroke: OVERLAY_COLOURS[i % OVERLAY_COLOURS.length],
          width: 1.2,
          spanGaps: true,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => reading(v),
        })),
      ],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const lo = u.posToVal(u.select.left, 'x');
            const hi = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoom.current(lo, hi);
          },
        ],
      },
    };
    const plot = new uPlot(opts, data, node);
    return () => plot.destroy();
  }, [main, extra, log, width]);

  return <div ref={el} data-testid="plot-canvas" data-points={main.x_values?.length ?? 0} />;
}
