import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { $api, api } from '../../api/client';
import { modelQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import { RoleGuard } from '../../auth/RoleGuard';
import { Badge } from '../../components/Badge';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import type { Model } from '../../api/types';

type ModelStatus = Model['status'];

// The model's life, as the server enforces it: draft → validated →
// deployed, and any of those → retired.
const next: Record<ModelStatus, ModelStatus[]> = {
  draft: ['validated', 'retired'],
  validated: ['deployed', 'retired'],
  deployed: ['retired'],
  retired: [],
};
const verb: Record<ModelStatus, string> = { draft: 'Draft', validated: 'Validate', deployed: 'Deploy', retired: 'Retire' };

export default function ModelDetailPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const q = $api.useQuery('get', '/api/analysis/models/{id}', { params: { path: { id } } });
  const change = useMutation({
    mutationFn: async ({ m, to }: { m: Model; to: ModelStatus }) =>
      unwrap(
        await api.PUT('/api/analysis/models/{id}', {
          params: { path: { id }, header: { 'If-Match': `"${m.version}"` } },
          body: {
            feature_set_id: m.feature_set_id,
            algorithm: m.algorithm,
            artifact_uri: m.artifact_uri,
            hyperparameters: m.hyperparameters,
            metrics: m.metrics,
            trained_at: m.trained_at ?? undefined,
            status: to,
            version: m.version,
          },
        }),
      ),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: modelQueries.detail() }),
        queryClient.invalidateQueries({ queryKey: modelQueries.all() }),
      ]),
  });
  const busy = change.isPending;
  const error: unknown = change.error;
  if (q.isPending) return <Loading />;
  if (q.isError)
    return (
      <section className="page">
        <p>
          <Link to="/models">← Models</Link>
        </p>
        <ProblemMessage error={q.error} />
      </section>
    );
  const m = q.data;

  const move = (to: ModelStatus) => change.mutate({ m, to });

  return (
    <section className="page">
      <p>
        <Link to="/models">← Models</Link>
      </p>
      <div className="page-head">
        <h1 data-testid="model-title">
          {m.name} <span className="muted">r{m.revision}</span>
        </h1>
        <RoleGuard permission="ml.manage">
          <div className="actions">
            {next[m.status].map((to) => (
              <button
                key={to}
                type="button"
                className={to === 'retired' ? 'secondary' : undefined}
                data-testid={`model-${to}`}
                disabled={busy}
                onClick={() => move(to)}
              >
                {verb[to]}
              </button>
            ))}
          </div>
        </RoleGuard>
      </div>
      {error !== null && <ProblemMessage error={error} />}
      <div className="card">
        <dl className="details">
          <dt>Status</dt>
          <dd>
            <Badge value={m.status} testId="model-detail-status" />
          </dd>
          <dt>Algorithm</dt>
          <dd>{m.algorithm || '—'}</dd>
          <dt>Feature set</dt>
          <dd>
            {m.feature_set_name} r{m.feature_set_revision}
          </dd>
          <dt>Artifact</dt>
          <dd>
            <code data-testid="model-artifact">{m.artifact_uri || '—'}</code>
          </dd>
          <dt>Trained</dt>
          <dd>{formatTime(m.trained_at)}</dd>
          <dt>Metrics</dt>
          <dd>
            {Object.entries(m.metrics ?? {}).length === 0
              ? '—'
              : Object.entries(m.metrics ?? {}).map(([k, v]) => (
                  <div key={k}>
                    {k}: <strong>{v}</strong>
                  </div>
                ))}
          </dd>
          <dt>Hyperparameters</dt>
          <dd>
            <code className="small">{JSON.stringify(m.hyperparameters ?? {})}</code>
          </dd>
          <dt>Updated</dt>
          <dd>{formatTime(m.updated_at)}</dd>
        </dl>
      </div>
    </section>
  );
}
