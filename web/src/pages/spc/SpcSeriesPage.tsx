import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { $api } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { AlertList } from './AlertList';
import { toChartPoints, flaggedCount } from './chart';
import { ControlChart, chartColours } from './ControlChart';
import '../instruments/instruments.css';

export default function SpcSeriesPage() {
  const { id = '' } = useParams();
  const series = $api.useQuery('get', '/api/analysis/spc/series/{id}', { params: { path: { id } } });
  const points = $api.useQuery('get', '/api/analysis/spc/series/{id}/points', {
    params: { path: { id }, query: { limit: 1000 } },
  });
  // The series' alerts, open and acknowledged, to mark their points (a
  // series has few; the API lists one kind at a time).
  const open = $api.useQuery('get', '/api/analysis/spc/alerts', {
    params: { query: { series_id: id, acknowledged: 'false', limit: 200 } },
  });
  const acked = $api.useQuery('get', '/api/analysis/spc/alerts', {
    params: { query: { series_id: id, acknowledged: 'true', limit: 200 } },
  });
  const chartPoints = useMemo(
    () => toChartPoints(points.data?.items ?? [], [...(open.data?.items ?? []), ...(acked.data?.items ?? [])]),
    [points.data, open.data, acked.data],
  );
  const alerts = { isPending: open.isPending || acked.isPending, isError: open.isError || acked.isError, error: open.error ?? acked.error };

  const back = (
    <p>
      <Link to="/spc">← SPC</Link>
    </p>
  );
  if (series.isPending) return <Loading />;
  if (series.isError)
    return (
      <section className="page">
        {back}
        <ProblemMessage error={series.error} />
      </section>
    );
  const s = series.data;

  return (
    <section className="page">
      {back}
      <h1 data-testid="spc-series-name">{s.name}</h1>
      <p className="muted">
        Metric <strong>{s.metric}</strong>
        {s.unit && ` (${s.unit})`} · centre {s.center_line} · σ {s.sigma} · limits {s.lcl} to {s.ucl}
        {s.baseline_size ? ` · computed from ${s.baseline_size} results` : ''}
      </p>
      <section className="card" aria-labelledby="chart-h">
        <h2 id="chart-h">Control chart</h2>
        {points.isPending || alerts.isPending ? (
          <Loading />
        ) : points.isError ? (
          <ProblemMessage error={points.error} />
        ) : chartPoints.length === 0 ? (
          <p className="muted">No points yet.</p>
        ) : (
          <>
            <ControlChart series={s} points={chartPoints} />
            <p className="small muted">
              <span className="legend-swatch" style={{ background: chartColours.point }} /> point ·{' '}
              <span className="legend-swatch" style={{ background: chartColours.flagged, borderRadius: 0, transform: 'rotate(45deg)' }} />{' '}
              breaks a rule ({flaggedCount(chartPoints)}) · dashed red: control limits (±3σ) · dotted grey: ±1σ, ±2σ · green: centre
              line. {chartPoints.length} latest points.
            </p>
          </>
        )}
        {alerts.isError && <ProblemMessage error={alerts.error} title="Alerts unavailable: rule breaks are not marked" />}
      </section>
      <section className="card" aria-labelledby="alerts-h">
        <h2 id="alerts-h">Alerts</h2>
        <AlertList seriesId={id} />
      </section>
    </section>
  );
}
