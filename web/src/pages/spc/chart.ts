import type { SPCAlert, SPCPoint, SPCSeries } from '../../api/types';

export type { SPCAlert, SPCPoint, SPCSeries };

/** One point on the control chart. */
export interface ChartPoint {
  id: string;
  /** Milliseconds since the epoch (the chart's x). */
  t: number;
  value: number;
  /** The run the point came from; null for a point added directly. */
  runId: string | null;
  /** The rules (WE1…WE4) of the alerts naming this point; empty: in control. */
  rules: string[];
  /** Whether an open (unacknowledged) alert names the point. */
  open: boolean;
}

/**
 * Maps the API's points (newest first) and the series' alerts to chart
 * points, oldest first; a point that an alert names carries the alert's
 * rule, so the chart can mark it.
 */
export function toChartPoints(points: readonly SPCPoint[], alerts: readonly SPCAlert[]): ChartPoint[] {
  const rules = new Map<string, Set<string>>();
  const open = new Set<string>();
  for (const a of alerts) {
    for (const pid of a.point_ids ?? []) {
      const set = rules.get(pid) ?? new Set<string>();
      set.add(a.rule);
      rules.set(pid, set);
      if (!a.acknowledged_at) open.add(pid);
    }
  }
  return points
    .map((p) => ({
      id: p.id,
      t: Date.parse(p.ts),
      value: p.value,
      runId: p.run_id,
      rules: [...(rules.get(p.id) ?? [])].sort(),
      open: open.has(p.id),
    }))
    .sort((a, b) => a.t - b.t || a.id.localeCompare(b.id));
}

export interface ControlLine {
  key: string;
  label: string;
  y: number;
  kind: 'centre' | 'limit' | 'sigma';
}

/** Centre line, UCL/LCL (±3σ) and the ±1σ/±2σ zone lines of a series. */
export function controlLines(s: Pick<SPCSeries, 'center_line' | 'sigma' | 'ucl' | 'lcl'>): ControlLine[] {
  const lines: ControlLine[] = [
    { key: 'ucl', label: 'UCL', y: s.ucl, kind: 'limit' },
    { key: 'cl', label: 'CL', y: s.center_line, kind: 'centre' },
    { key: 'lcl', label: 'LCL', y: s.lcl, kind: 'limit' },
  ];
  if (s.sigma > 0) {
    for (const k of [1, 2]) {
      lines.push({ key: `p${k}`, label: `+${k}σ`, y: s.center_line + k * s.sigma, kind: 'sigma' });
      lines.push({ key: `m${k}`, label: `−${k}σ`, y: s.center_line - k * s.sigma, kind: 'sigma' });
    }
  }
  return lines;
}

/** A y range that shows every point and both control limits, with a margin. */
export function yDomain(points: readonly ChartPoint[], s: Pick<SPCSeries, 'ucl' | 'lcl' | 'sigma'>): [number, number] {
  const values = [s.ucl, s.lcl, ...points.map((p) => p.value)].filter(Number.isFinite);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi + pad];
}

/** How many points the alerts flag, per rule, for the legend. */
export function flaggedCount(points: readonly ChartPoint[]): number {
  return points.filter((p) => p.rules.length > 0).length;
}
