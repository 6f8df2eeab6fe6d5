import {
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { controlLines, yDomain, type ChartPoint, type SPCSeries } from './chart';

const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const hour = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const num = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3));

const colours = { centre: '#137333', limit: '#b3261e', sigma: '#8a94a3', point: '#1d4ed8', flagged: '#b3261e' };

function PointTip({ active, payload }: { active?: boolean; payload?: readonly { payload?: ChartPoint }[] }) {
  const p = payload?.[0]?.payload;
  if (!active || !p) return null;
  return (
    <div className="card small" style={{ padding: '0.4rem 0.6rem', margin: 0 }}>
      <div>{full.format(p.t)}</div>
      <div>
        <strong>{num(p.value)}</strong>
      </div>
      {p.rules.length > 0 && <div style={{ color: colours.flagged }}>Breaks {p.rules.join(', ')}</div>}
    </div>
  );
}

/** A point: a blue dot, or a larger red diamond when it broke a rule. */
function PointDot(props: { cx?: number; cy?: number; index?: number; payload?: ChartPoint }) {
  const { cx, cy, payload, index } = props;
  if (cx === undefined || cy === undefined || !payload) return <g key={index} />;
  if (payload.rules.length === 0) return <circle key={payload.id} cx={cx} cy={cy} r={3} fill={colours.point} />;
  const d = 7;
  return (
    <path
      key={payload.id}
      className="spc-flagged"
      d={`M${cx} ${cy - d}L${cx + d} ${cy}L${cx} ${cy + d}L${cx - d} ${cy}Z`}
      fill={colours.flagged}
      stroke="#fff"
      strokeWidth={1}
    >
      <title>{`Breaks ${payload.rules.join(', ')}`}</title>
    </path>
  );
}

/**
 * A Shewhart control chart: the points over time, the centre line, the
 * ±3σ control limits and the ±1σ/±2σ zone lines; points an alert names
 * are red diamonds.
 */
export function ControlChart({ series, points }: { series: SPCSeries; points: ChartPoint[] }) {
  const flagged = points.filter((p) => p.rules.length > 0);
  const [lo, hi] = yDomain(points, series);
  const span = (points.at(-1)?.t ?? 0) - (points[0]?.t ?? 0);
  const tick = span < 3 * 86_400_000 ? hour : day;
  return (
    <div
      className="chart"
      data-testid="spc-chart"
      role="img"
      aria-label={`Control chart of ${series.name}: ${points.length} points, ${flagged.length} breaking a rule; centre ${num(series.center_line)}, limits ${num(series.lcl)} to ${num(series.ucl)} ${series.unit}.`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={points} margin={{ top: 10, right: 48, bottom: 10, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e5e8ec" />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(t: number) => tick.format(t)}
            minTickGap={24}
          />
          <YAxis domain={[lo, hi]} tickFormatter={num} width={64} allowDataOverflow />
          {controlLines(series).map((l) => (
            <ReferenceLine
              key={l.key}
              y={l.y}
              stroke={colours[l.kind]}
              strokeDasharray={l.kind === 'sigma' ? '2 4' : l.kind === 'limit' ? '6 3' : undefined}
              strokeWidth={l.kind === 'sigma' ? 1 : 1.5}
              label={{ value: l.label, position: 'right', fill: colours[l.kind], fontSize: 11 }}
              ifOverflow="extendDomain"
            />
          ))}
          <Line
            type="linear"
            dataKey="value"
            stroke={colours.point}
            strokeWidth={1.5}
            dot={PointDot}
            activeDot={{ r: 5 }}
            isAnimationActive={false}
            name="value"
          />
          <Tooltip content={<PointTip />} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

export const chartColours = colours;
