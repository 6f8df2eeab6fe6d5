import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { $api, api } from '../../api/client';
import { unwrap } from '../../api/problem';
import type { MethodStatus, Recipe } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { ApproveDialog, Approvals, ConfirmDialog, StatusBadge } from './methodParts';
import { RecipeForm } from './RecipeForm';

function Parameters({ recipe }: { recipe: Recipe }) {
  const ps = recipe.parameters ?? [];
  if (ps.length === 0) return <p className="muted">No parameters.</p>;
  const show = (n: number | undefined) => (n === undefined || n === null ? '—' : n);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="recipe-parameters">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Unit</th>
            <th scope="col">Min</th>
            <th scope="col">Max</th>
            <th scope="col">Default</th>
          </tr>
        </thead>
        <tbody>
          {ps.map((p) => (
            <tr key={p.name} data-testid="recipe-parameter">
              <td className="mono">{p.name}</td>
              <td>{p.unit || '—'}</td>
              <td>{show(p.min)}</td>
              <td>{show(p.max)}</td>
              <td>{show(p.default)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Revisions({ recipe }: { recipe: Recipe }) {
  const q = $api.useQuery('get', '/api/lims/recipes', { params: { query: { lineage_id: recipe.lineage_id, limit: 50 } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const revs = [...q.data.items].sort((a, b) => b.revision - a.revision);
  return (
    <ul className="revisions" data-testid="recipe-revisions">
      {revs.map((r) => (
        <li key={r.id}>
          {r.id === recipe.id ? <strong>Rev. {r.revision}</strong> : <Link to={`/recipes/${r.id}`}>Rev. {r.revision}</Link>}{' '}
          <StatusBadge status={r.status} /> <span className="muted small">{formatTime(r.updated_at, 'short')}</span>
        </li>
      ))}
    </ul>
  );
}

function RecipeApprovals({ id, status }: { id: string; status: MethodStatus }) {
  const q = $api.useQuery('get', '/api/lims/recipes/{id}/approvals', { params: { path: { id }, query: { limit: 50 } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  return <Approvals items={q.data.items} status={status} />;
}

export default function RecipeDetailPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [dialog, setDialog] = useState<'approve' | 'retire' | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const q = $api.useQuery('get', '/api/lims/recipes/{id}', { params: { path: { id } } });

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/recipes/{id}'] }),
      queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/recipes/{id}/approvals'] }),
      queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/recipes'] }),
    ]);

  const back = (
    <p>
      <Link to="/recipes">← Recipes</Link>
    </p>
  );
  if (q.isPending) return <Loading />;
  if (q.isError)
    return (
      <section className="page">
        {back}
        <ProblemMessage error={q.error} />
      </section>
    );
  const recipe = q.data;
  const ifMatch = { 'If-Match': `"${recipe.version}"` };

  const run = async (action: () => Promise<void>) => {
    setActionError(null);
    setBusy(true);
    try {
      await action();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  const newVersion = () =>
    run(async () => {
      const next = unwrap(await api.POST('/api/lims/recipes/{id}/versions', { params: { path: { id } } }));
      await queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/recipes'] });
      navigate(`/recipes/${next.id}`);
    });

  return (
    <section className="page">
      {back}
      <div className="page-head">
        <h1>
          <span data-testid="recipe-detail-name">{recipe.name}</span>{' '}
          <span className="muted small">rev. {recipe.revision}</span>{' '}
          <StatusBadge status={recipe.status} testId="recipe-detail-status" />
        </h1>
        <div className="actions">
          {recipe.status === 'draft' && !editing && (
            <RoleGuard permission="recipe.draft">
              <button type="button" className="secondary" data-testid="edit-recipe" onClick={() => setEditing(true)}>
                Edit
              </button>
            </RoleGuard>
          )}
          {recipe.status === 'draft' && (
            <RoleGuard permission="recipe.approve">
              <button type="button" data-testid="approve-button" onClick={() => setDialog('approve')}>
                Approve
              </button>
            </RoleGuard>
          )}
          {recipe.status === 'approved' && (
            <RoleGuard permission="recipe.approve">
              <button type="button" className="secondary" data-testid="retire-button" onClick={() => setDialog('retire')}>
                Retire
              </button>
            </RoleGuard>
          )}
          {recipe.status !== 'draft' && (
            <RoleGuard permission="recipe.draft">
              <button type="button" data-testid="new-version" disabled={busy} onClick={newVersion}>
                New version
              </button>
            </RoleGuard>
          )}
        </div>
      </div>

      {actionError !== null && <ProblemMessage error={actionError} />}
      {recipe.status !== 'draft' && (
        <p className="muted small" data-testid="recipe-immutable">
          {recipe.status === 'approved' ? `Approved ${formatTime(recipe.approved_at)}` : `Retired ${formatTime(recipe.retired_at)}`}{' '}
          — this revision can no longer change; start a new version to change the method.
        </p>
      )}

      {editing ? (
        <RecipeForm
          recipe={recipe}
          onCancel={() => setEditing(false)}
          onSave={async (fields) => {
            unwrap(
              await api.PUT('/api/lims/recipes/{id}', {
                params: { path: { id }, header: ifMatch },
                body: { ...fields, version: recipe.version },
              }),
            );
            await refresh();
            setEditing(false);
          }}
        />
      ) : (
        <div className="card">
          <dl className="details">
            <dt>Description</dt>
            <dd data-testid="recipe-detail-description">{recipe.description || '—'}</dd>
            <dt>Instrument kinds</dt>
            <dd>
              <div className="chips" data-testid="recipe-kinds">
                {(recipe.instrument_kinds ?? []).map((k) => (
                  <span key={k} className="chip">
                    {k}
                  </span>
                ))}
                {(recipe.instrument_kinds ?? []).length === 0 && '—'}
              </div>
            </dd>
            <dt>Updated</dt>
            <dd>{formatTime(recipe.updated_at)}</dd>
          </dl>
        </div>
      )}

      {!editing && (
        <section className="card" aria-labelledby="params-h">
          <h2 id="params-h">Parameters</h2>
          <Parameters recipe={recipe} />
        </section>
      )}

      <div className="grid">
        <section className="card" aria-labelledby="approvals-h">
          <h2 id="approvals-h">Approvals and signatures</h2>
          <RecipeApprovals id={id} status={recipe.status} />
        </section>
        <section className="card" aria-labelledby="revisions-h">
          <h2 id="revisions-h">Revisions</h2>
          <Revisions recipe={recipe} />
        </section>
      </div>

      <ApproveDialog
        open={dialog === 'approve'}
        what={`${recipe.name} rev. ${recipe.revision}`}
        onClose={() => setDialog(null)}
        onApprove={async (v) => {
          unwrap(
            await api.POST('/api/lims/recipes/{id}/approve', {
              params: { path: { id }, header: ifMatch },
              body: { password: v.password, comment: v.comment.trim() || undefined },
            }),
          );
          await refresh();
          setDialog(null);
        }}
      />
      <ConfirmDialog
        open={dialog === 'retire'}
        title={`Retire ${recipe.name} rev. ${recipe.revision}?`}
        text="New runs can no longer use a retired revision. Runs that used it keep pointing at it."
        confirm="Retire"
        busy={busy}
        testId="retire-dialog"
        error={actionError !== null && dialog === 'retire' ? <ProblemMessage error={actionError} /> : undefined}
        onClose={() => {
          setDialog(null);
          setActionError(null);
        }}
        onConfirm={() =>
          run(async () => {
            unwrap(await api.POST('/api/lims/recipes/{id}/retire', { params: { path: { id }, header: ifMatch } }));
            await refresh();
            setDialog(null);
          })
        }
      />
    </section>
  );
}
