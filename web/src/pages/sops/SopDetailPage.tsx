import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { $api, api } from '../../api/client';
import { unwrap } from '../../api/problem';
import type { MethodStatus, SOP } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { Loading } from '../../components/Loading';
import { Markdown } from '../../components/Markdown';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { ApproveDialog, Approvals, ConfirmDialog, StatusBadge } from '../recipes/methodParts';
import { SopForm } from './SopForm';

function Revisions({ sop }: { sop: SOP }) {
  const q = $api.useQuery('get', '/api/lims/sops', { params: { query: { lineage_id: sop.lineage_id, limit: 50 } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const revs = [...q.data.items].sort((a, b) => b.revision - a.revision);
  return (
    <ul className="revisions" data-testid="sop-revisions">
      {revs.map((r) => (
        <li key={r.id}>
          {r.id === sop.id ? <strong>Rev. {r.revision}</strong> : <Link to={`/sops/${r.id}`}>Rev. {r.revision}</Link>}{' '}
          <StatusBadge status={r.status} /> <span className="muted small">{formatTime(r.updated_at, 'short')}</span>
        </li>
      ))}
    </ul>
  );
}

function SopApprovals({ id, status }: { id: string; status: MethodStatus }) {
  const q = $api.useQuery('get', '/api/lims/sops/{id}/approvals', { params: { path: { id }, query: { limit: 50 } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  return <Approvals items={q.data.items} status={status} />;
}

export default function SopDetailPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [dialog, setDialog] = useState<'approve' | 'retire' | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const q = $api.useQuery('get', '/api/lims/sops/{id}', { params: { path: { id } } });

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/sops/{id}'] }),
      queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/sops/{id}/approvals'] }),
      queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/sops'] }),
    ]);

  const back = (
    <p>
      <Link to="/sops">← SOPs</Link>
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
  const sop = q.data;
  const ifMatch = { 'If-Match': `"${sop.version}"` };

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

  return (
    <section className="page">
      {back}
      <div className="page-head">
        <h1>
          <span data-testid="sop-detail-code">{sop.code}</span> <span data-testid="sop-detail-title">{sop.title}</span>{' '}
          <span className="muted small">rev. {sop.revision}</span> <StatusBadge status={sop.status} testId="sop-detail-status" />
        </h1>
        <div className="actions">
          {sop.status === 'draft' && !editing && (
            <RoleGuard permission="sop.draft">
              <button type="button" className="secondary" data-testid="edit-sop" onClick={() => setEditing(true)}>
                Edit
              </button>
            </RoleGuard>
          )}
          {sop.status === 'draft' && (
            <RoleGuard permission="sop.approve">
              <button type="button" data-testid="approve-button" onClick={() => setDialog('approve')}>
                Approve
              </button>
            </RoleGuard>
          )}
          {sop.status === 'approved' && (
            <RoleGuard permission="sop.approve">
              <button type="button" className="secondary" data-testid="retire-button" onClick={() => setDialog('retire')}>
                Retire
              </button>
            </RoleGuard>
          )}
          {sop.status !== 'draft' && (
            <RoleGuard permission="sop.draft">
              <button
                type="button"
                data-testid="new-version"
                disabled={busy}
                onClick={() =>
                  run(async () => {
                    const next = unwrap(await api.POST('/api/lims/sops/{id}/versions', { params: { path: { id } } }));
                    await queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/sops'] });
                    navigate(`/sops/${next.id}`);
                  })
                }
              >
                New version
              </button>
            </RoleGuard>
          )}
        </div>
      </div>

      {actionError !== null && <ProblemMessage error={actionError} />}
      {sop.status !== 'draft' && (
        <p className="muted small" data-testid="sop-immutable">
          {sop.status === 'approved' ? `Approved ${formatTime(sop.approved_at)}` : `Retired ${formatTime(sop.retired_at)}`} —
          this revision can no longer change; start a new version to revise the procedure.
        </p>
      )}

      {editing ? (
        <SopForm
          sop={sop}
          onCancel={() => setEditing(false)}
          onSave={async (v) => {
            unwrap(
              await api.PUT('/api/lims/sops/{id}', {
                params: { path: { id }, header: ifMatch },
                body: { ...v, version: sop.version },
              }),
            );
            await refresh();
            setEditing(false);
          }}
        />
      ) : (
        <article className="card" aria-label="Procedure">
          <Markdown source={sop.body_markdown} testId="sop-body-rendered" />
        </article>
      )}

      <div className="grid">
        <section className="card" aria-labelledby="approvals-h">
          <h2 id="approvals-h">Approvals and signatures</h2>
          <SopApprovals id={id} status={sop.status} />
        </section>
        <section className="card" aria-labelledby="revisions-h">
          <h2 id="revisions-h">Revisions</h2>
          <Revisions sop={sop} />
        </section>
      </div>

      <ApproveDialog
        open={dialog === 'approve'}
        what={`${sop.code} rev. ${sop.revision}`}
        onClose={() => setDialog(null)}
        onApprove={async (v) => {
          unwrap(
            await api.POST('/api/lims/sops/{id}/approve', {
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
        title={`Retire ${sop.code} rev. ${sop.revision}?`}
        text="A retired procedure stays on record but is no longer the one to follow."
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
            unwrap(await api.POST('/api/lims/sops/{id}/retire', { params: { path: { id }, header: ifMatch } }));
            await refresh();
            setDialog(null);
          })
        }
      />
    </section>
  );
}
