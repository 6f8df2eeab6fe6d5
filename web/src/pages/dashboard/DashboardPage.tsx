import { $api } from '../../api/client';
import type { CalibrationState } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { useAuth } from '../../auth/context';
import { Badge } from '../../components/Badge';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { MyInvitations } from './MyInvitations';

const states: CalibrationState[] = ['valid', 'expiring', 'expired', 'missing', 'not_required'];

function Calibrations() {
  const q = $api.useQuery('get', '/api/analysis/calibrations/status');
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const { counts, items, warning_days } = q.data;
  return (
    <>
      <ul className="tiles" aria-label="Instruments per calibration state">
        {states.map((s) => (
          <li key={s} className={`tile tile-${s}`} data-testid={`calibration-count-${s}`}>
            <span className="tile-number">{counts[s] ?? 0}</span>
            <span className="tile-label">{s.replace('_', ' ')}</span>
          </li>
        ))}
      </ul>
      <p className="muted small">“Expiring” means within {warning_days} days.</p>
      <table className="table">
        <thead>
          <tr>
            <th>Instrument</th>
            <th>Kind</th>
            <th>State</th>
            <th>Expires</th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((it) => (
            <tr key={it.instrument.id}>
              <td>{it.instrument.name}</td>
              <td>{it.instrument.kind}</td>
              <td>
                <Badge value={it.state} testId={`calibration-${it.instrument.id}`} />
              </td>
              <td>
                {it.certificate ? formatTime(it.certificate.expires_at) : '—'}
                {it.days_left !== null && it.days_left !== undefined && (
                  <span className="muted small">
                    {' '}
                    ({it.days_left >= 0 ? `${it.days_left} days left` : `${-it.days_left} days ago`})
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function RecentRuns() {
  const q = $api.useQuery('get', '/api/analysis/runs', { params: { query: { limit: 10 } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const runs = [...(q.data.items ?? [])].sort((a, b) => b.created_at.localeCompare(a.created_at));
  if (runs.length === 0) return <p className="muted">No runs yet.</p>;
  return (
    <table className="table" data-testid="recent-runs">
      <thead>
        <tr>
          <th>Created</th>
          <th>Status</th>
          <th>Finished</th>
          <th>Notes</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td>{formatTime(r.created_at, 'short')}</td>
            <td>
              <Badge value={r.status} />
            </td>
            <td>{formatTime(r.finished_at, 'short')}</td>
            <td className="truncate">{r.blocked_reason ?? r.notes}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function OpenAlerts() {
  const q = $api.useQuery('get', '/api/analysis/spc/alerts', {
    params: { query: { acknowledged: 'false', limit: 20 } },
  });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const alerts = q.data.items ?? [];
  if (alerts.length === 0) return <p className="muted">No open alerts.</p>;
  return (
    <ul className="alerts" data-testid="spc-alerts">
      {alerts.map((a) => (
        <li key={a.id}>
          <Badge value={a.rule} /> {a.message} <span className="muted small">{formatTime(a.raised_at)}</span>
        </li>
      ))}
    </ul>
  );
}

export default function DashboardPage() {
  const { me } = useAuth();
  return (
    <section className="page">
      <h1>Dashboard</h1>
      <p className="muted">
        {me?.organization.name} — signed in as {me?.user.name}.
      </p>
      <div className="grid">
        <MyInvitations />
        <RoleGuard permission="calibration.read">
          <section className="card wide" aria-labelledby="cal-h">
            <h2 id="cal-h">Calibration status</h2>
            <Calibrations />
          </section>
        </RoleGuard>
        <RoleGuard permission="run.read">
          <section className="card" aria-labelledby="runs-h">
            <h2 id="runs-h">Recent runs</h2>
            <RecentRuns />
          </section>
        </RoleGuard>
        <RoleGuard permission="spc.read">
          <section className="card" aria-labelledby="spc-h">
            <h2 id="spc-h">Open SPC alerts</h2>
            <OpenAlerts />
          </section>
        </RoleGuard>
      </div>
    </section>
  );
}
