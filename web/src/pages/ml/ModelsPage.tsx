import { Link, useSearchParams } from 'react-router';
import { $api } from '../../api/client';
import { Badge } from '../../components/Badge';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import type { Model } from '../../api/types';

type ModelStatus = Model['status'];
export const modelStatuses: ModelStatus[] = ['draft', 'validated', 'deployed', 'retired'];

/** The ML registry: models (filter by status, search) and feature sets. */
export default function ModelsPage() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? '') as ModelStatus | '';
  const q = params.get('q') ?? '';
  const pager = useCursor();
  const models = $api.useQuery(
    'get',
    '/api/analysis/models',
    { params: { query: { status: status || undefined, q: q || undefined, cursor: pager.cursor, limit: 25 } } },
    { placeholderData: (prev) => prev },
  );
  const sets = $api.useQuery('get', '/api/analysis/feature-sets', { params: { query: { limit: 50 } } });

  return (
    <section className="page">
      <h1>Models</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const next: Record<string, string> = {};
          const query = String(f.get('q') ?? '').trim();
          if (query) next.q = query;
          if (status) next.status = status;
          setParams(next);
        }}
      >
        <div className="field">
          <label htmlFor="model-q">Name or algorithm</label>
          <input id="model-q" name="q" defaultValue={q} data-testid="model-search" />
        </div>
        <div className="field">
          <label htmlFor="model-status">Status</label>
          <select
            id="model-status"
            data-testid="model-status-filter"
            value={status}
            onChange={(e) => {
              const next: Record<string, string> = {};
              if (q) next.q = q;
              if (e.target.value) next.status = e.target.value;
              setParams(next);
            }}
          >
            <option value="">Any</option>
            {modelStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="secondary">
          Search
        </button>
      </form>

      {models.isPending ? (
        <Loading />
      ) : models.isError ? (
        <ProblemMessage error={models.error} />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="models-table">
              <thead>
                <tr>
                  <th>Model</th>
                  <th>Algorithm</th>
                  <th>Feature set</th>
                  <th>Status</th>
                  <th>Metrics</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {(models.data.items ?? []).map((m) => (
                  <tr key={m.id} data-testid="model-row">
                    <td>
                      <Link to={`/models/${m.id}`} data-testid="model-link">
                        {m.name} r{m.revision}
                      </Link>
                    </td>
                    <td>{m.algorithm || '—'}</td>
                    <td>
                      {m.feature_set_name} r{m.feature_set_revision}
                    </td>
                    <td>
                      <Badge value={m.status} testId="model-status" />
                    </td>
                    <td className="small">
                      {Object.entries(m.metrics ?? {})
                        .map(([k, v]) => `${k} ${v}`)
                        .join(' · ') || '—'}
                    </td>
                    <td>{formatTime(m.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {(models.data.items ?? []).length === 0 && <p className="muted">No models.</p>}
          <Pager page={pager.page} nextCursor={models.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />
        </>
      )}

      <section className="card" aria-labelledby="fs-h">
        <h2 id="fs-h">Feature sets</h2>
        {sets.isPending ? (
          <Loading />
        ) : sets.isError ? (
          <ProblemMessage error={sets.error} />
        ) : (
          <ul data-testid="feature-sets">
            {(sets.data.items ?? []).map((f) => (
              <li key={f.id} data-testid="feature-set-row">
                <strong>
                  {f.name} r{f.revision}
                </strong>
                {f.locked && <span className="muted small"> · locked (a model uses it)</span>}
                <div className="muted small">{(f.features ?? []).map((x) => `${x.name}: ${x.type}`).join(', ')}</div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
