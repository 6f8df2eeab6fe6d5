import { describe, expect, it } from 'vitest';
import { controlLines, flaggedCount, toChartPoints, yDomain, type SPCAlert, type SPCPoint } from './chart';

const pt = (id: string, ts: string, value: number): SPCPoint => ({
  id,
  ts,
  value,
  series_id: 's',
  run_id: `run-${id}`,
  run_result_id: `rr-${id}`,
});
const alert = (id: string, rule: SPCAlert['rule'], pointIds: string[], acked = false): SPCAlert => ({
  id,
  rule,
  point_ids: pointIds,
  series_id: 's',
  message: `${rule} broken`,
  raised_at: '2026-11-22T00:00:00Z',
  acknowledged_at: acked ? '2026-11-23T00:00:00Z' : null,
  acknowledged_by: acked ? 'u' : '',
  ack_comment: acked ? 'fixed' : null,
  version: 1,
});

describe('toChartPoints', () => {
  // The API sends the newest first.
  const points = [
    pt('c', '2026-11-23T00:00:00Z', 0.47),
    pt('b', '2026-11-21T00:00:00Z', 0.518),
    pt('a', '2026-11-19T00:00:00Z', 0.45),
  ];

  it('orders the points oldest first with their time as x', () => {
    const out = toChartPoints(points, []);
    expect(out.map((p) => p.id)).toEqual(['a', 'b', 'c']);
    expect(out[0]?.t).toBe(Date.parse('2026-11-19T00:00:00Z'));
    expect(out[1]?.runId).toBe('run-b');
    expect(out.every((p) => p.rules.length === 0 && !p.open)).toBe(true);
  });

  it('marks the points the alerts name, with their rules, and whether an alert is open', () => {
    const out = toChartPoints(points, [alert('1', 'WE1', ['b']), alert('2', 'WE2', ['b', 'c'], true), alert('3', 'WE4', ['zz'])]);
    const byId = Object.fromEntries(out.map((p) => [p.id, p]));
    expect(byId.a?.rules).toEqual([]);
    expect(byId.b?.rules).toEqual(['WE1', 'WE2']);
    expect(byId.b?.open).toBe(true);
    expect(byId.c?.rules).toEqual(['WE2']);
    expect(byId.c?.open).toBe(false); // only an acknowledged alert names it
    expect(flaggedCount(out)).toBe(2);
  });

  it('copes with null point lists', () => {
    expect(toChartPoints(points, [{ ...alert('1', 'WE1', []), point_ids: null }]).every((p) => p.rules.length === 0)).toBe(true);
  });
});

describe('controlLines', () => {
  it('gives CL, UCL, LCL and the 1σ and 2σ lines', () => {
    const lines = controlLines({ center_line: 0.45, sigma: 0.02, ucl: 0.51, lcl: 0.39 });
    const y = Object.fromEntries(lines.map((l) => [l.key, l.y]));
    expect(y.cl).toBe(0.45);
    expect(y.ucl).toBe(0.51);
    expect(y.lcl).toBe(0.39);
    expect(y.p1).toBeCloseTo(0.47);
    expect(y.m2).toBeCloseTo(0.41);
    expect(lines.filter((l) => l.kind === 'sigma')).toHaveLength(4);
  });
  it('leaves out the zone lines without a sigma', () => {
    expect(controlLines({ center_line: 1, sigma: 0, ucl: 1, lcl: 1 }).map((l) => l.key)).toEqual(['ucl', 'cl', 'lcl']);
  });
});

describe('yDomain', () => {
  it('covers the limits and every point', () => {
    const [lo, hi] = yDomain(toChartPoints([pt('a', '2026-01-01T00:00:00Z', 0.6)], []), { ucl: 0.51, lcl: 0.39, sigma: 0.02 });
    expect(lo).toBeLessThan(0.39);
    expect(hi).toBeGreaterThan(0.6);
  });
  it('is never empty', () => {
    const [lo, hi] = yDomain([], { ucl: 1, lcl: 1, sigma: 0 });
    expect(hi).toBeGreaterThan(lo);
  });
});
