import { useMutation, useQueryClient } from '@tanstack/react-query';
import { FilesCard } from '../../components/FilesCard';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { $api, api } from '../../api/client';
import { methodQueries, reviewQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import type { MethodStatus, RevisionAction } from '../../api/types';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import type { MethodBase, MethodFields, MethodKind, MethodRevision } from './kind';
import { reviewNotice } from '../review/review';
import { ApproveDialog, Approvals, ConfirmDialog, RejectDialog, StatusBadge } from './methodParts';

function Revisions<T extends MethodRevision, F extends MethodFields>({ kind, current }: { kind: MethodKind<T, F>; current: T }) {
  const q = $api.useQuery('get', kind.base, { params: { query: { lineage_id: current.lineage_id, limit: 50 } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const revs = [...(q.data.items as T[])].sort((a, b) => b.revision - a.revision);
  return (
    <ul className="revisions" data-testid={`${kind.key}-revisions`}>
      {revs.map((r) => (
        <li key={r.id}>
          {r.id === current.id ? (
            <strong>Rev. {r.revision}</strong>
          ) : (
            <Link to={`${kind.route}/${r.id}`}>Rev. {r.revision}</Link>
          )}{' '}
          <StatusBadge status={r.status} /> <span className="muted small">{formatTime(r.updated_at, 'short')}</span>
        </li>
      ))}
    </ul>
  );
}

function RevisionApprovals({ base, id, status }: { base: MethodBase; id: string; status: MethodStatus }) {
  const q = $api.useQuery('get', `${base}/{id}/approvals`, { params: { path: { id }, query: { limit: 50 } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  return <Approvals items={q.data.items} status={status} />;
}

/**
 * The detail page of a revision of a revisioned document: its content (or
 * the form, editing a draft), submit for review and withdraw, reject with
 * a reason, approve (an e-signature), retire, new version, its approvals
 * and the lineage's revisions. The buttons are the revision's actions, as
 * the server answers them.
 */
export function MethodDetail<T extends MethodRevision, F extends MethodFields>({ kind }: { kind: MethodKind<T, F> }) {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [dialog, setDialog] = useState<'approve' | 'retire' | 'reject' | null>(null);
  const { base, key } = kind;
  const keys = methodQueries(base);
  const q = $api.useQuery('get', `${base}/{id}`, { params: { path: { id } } });

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: keys.detail() }),
      queryClient.invalidateQueries({ queryKey: keys.approvals() }),
      queryClient.invalidateQueries({ queryKey: keys.all() }),
      queryClient.invalidateQueries({ queryKey: reviewQueries.queue() }),
    ]);

  const newVersionMutation = useMutation({
    mutationFn: async () => unwrap(await api.POST(`${base}/{id}/versions`, { params: { path: { id } } })),
    onSuccess: async (next) => {
      await queryClient.invalidateQueries({ queryKey: keys.all() });
      navigate(`${kind.route}/${next.id}`);
    },
  });
  const retireMutation = useMutation({
    mutationFn: async (version: number) =>
      unwrap(await api.POST(`${base}/{id}/retire`, { params: { path: { id }, header: { 'If-Match': `"${version}"` } } })),
    onSuccess: async () => {
      await refresh();
      setDialog(null);
    },
  });
  // Submit for review and withdraw from it: no body, at the version shown.
  const reviewMove = useMutation({
    mutationFn: async ({ move, version }: { move: 'submit' | 'withdraw'; version: number }) =>
      move === 'submit'
        ? unwrap(await api.POST(`${base}/{id}/submit`, { params: { path: { id }, header: { 'If-Match': `"${version}"` } } }))
        : unwrap(await api.POST(`${base}/{id}/withdraw`, { params: { path: { id }, header: { 'If-Match': `"${version}"` } } })),
    onSuccess: refresh,
  });
  const reject = useMutation({
    mutationFn: async ({ reason, version }: { reason: string; version: number }) =>
      unwrap(
        await api.POST(`${base}/{id}/reject`, {
          params: { path: { id }, header: { 'If-Match': `"${version}"` } },
          body: { reason },
        }),
      ),
  });
  const save = useMutation({
    mutationFn: async ({ fields, version }: { fields: F; version: number }) =>
      unwrap(
        await api.PUT(`${base}/{id}`, {
          params: { path: { id }, header: { 'If-Match': `"${version}"` } },
          body: { ...fields, version },
        }),
      ),
  });
  const approve = useMutation({
    mutationFn: async ({ v, version }: { v: { password: string; comment: string }; version: number }) =>
      unwrap(
        await api.POST(`${base}/{id}/approve`, {
          params: { path: { id }, header: { 'If-Match': `"${version}"` } },
          body: { password: v.password, comment: v.comment.trim() || undefined },
        }),
      ),
  });
  // New version and retire share one busy flag and one message, as one action at a time.
  const busy = newVersionMutation.isPending || retireMutation.isPending || reviewMove.isPending;
  const actionError: unknown = newVersionMutation.error ?? retireMutation.error ?? reviewMove.error;
  const clearActionError = () => {
    newVersionMutation.reset();
    retireMutation.reset();
    reviewMove.reset();
  };

  const back = (
    <p>
      <Link to={kind.route}>← {kind.title}</Link>
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
  const x = q.data as T;
  // What the server says this caller may do to the revision now.
  const may = (a: RevisionAction) => x.actions.includes(a);

  const newVersion = () => {
    clearActionError();
    newVersionMutation.mutate();
  };
  const move = (m: 'submit' | 'withdraw') => {
    clearActionError();
    reviewMove.mutate({ move: m, version: x.version });
  };
  const notice = reviewNotice(x);

  return (
    <section className="page">
      {back}
      <div className="page-head">
        <h1>
          {kind.heading(x)} <span className="muted small">rev. {x.revision}</span>{' '}
          <StatusBadge status={x.status} testId={`${key}-detail-status`} />
        </h1>
        <div className="actions">
          {may('edit') && !editing && (
            <button type="button" className="secondary" data-testid={`edit-${key}`} onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
          {may('submit') && !editing && (
            <button type="button" data-testid="submit-review" disabled={busy} onClick={() => move('submit')}>
              Submit for review
            </button>
          )}
          {may('withdraw') && (
            <button type="button" className="secondary" data-testid="withdraw-review" disabled={busy} onClick={() => move('withdraw')}>
              Withdraw
            </button>
          )}
          {may('reject') && (
            <button type="button" className="secondary" data-testid="reject-button" onClick={() => setDialog('reject')}>
              Reject
            </button>
          )}
          {may('approve') && (
            <button type="button" data-testid="approve-button" onClick={() => setDialog('approve')}>
              Approve
            </button>
          )}
          {may('retire') && (
            <button type="button" className="secondary" data-testid="retire-button" onClick={() => setDialog('retire')}>
              Retire
            </button>
          )}
          {may('new_version') && (
            <button type="button" data-testid="new-version" disabled={busy} onClick={newVersion}>
              New version
            </button>
          )}
        </div>
      </div>

      {actionError !== null && <ProblemMessage error={actionError} />}
      {notice?.kind === 'submitted' && (
        <p className="alert alert-info" data-testid={`${key}-in-review`}>
          Submitted for review {formatTime(notice.at)} — it cannot change until it is approved, withdrawn or sent back.
          {!may('approve') && may('reject') && ' You are one of its authors: another approver must approve it.'}
        </p>
      )}
      {notice?.kind === 'rejected' && (
        <p className="alert alert-error" data-testid={`${key}-rejected`}>
          Sent back {formatTime(notice.at)}: <span data-testid={`${key}-review-note`}>{notice.reason}</span>
        </p>
      )}
      {x.status !== 'draft' && (
        <p className="muted small" data-testid={`${key}-immutable`}>
          {x.status === 'approved' ? `Approved ${formatTime(x.approved_at)}` : `Retired ${formatTime(x.retired_at)}`}{' '}
          — this revision can no longer change; start a new version to {kind.changeHint}.
        </p>
      )}

      {editing
        ? kind.form({
            value: x,
            onCancel: () => setEditing(false),
            onSave: async (fields) => {
              await save.mutateAsync({ fields, version: x.version });
              await refresh();
              setEditing(false);
            },
          })
        : kind.view(x)}

      <div className="grid">
        <section className="card" aria-labelledby="approvals-h">
          <h2 id="approvals-h">Approvals and signatures</h2>
          <RevisionApprovals base={base} id={id} status={x.status} />
        </section>
        <section className="card" aria-labelledby="revisions-h">
          <h2 id="revisions-h">Revisions</h2>
          <Revisions kind={kind} current={x} />
        </section>
      </div>
      {base === '/api/lims/sops' && (
        <FilesCard owner="/api/lims/sops" ownerId={x.id} writable={x.status === 'draft'} permission="sop.draft" title="Attachments" />
      )}

      <ApproveDialog
        open={dialog === 'approve'}
        what={kind.label(x)}
        onClose={() => setDialog(null)}
        onApprove={async (v) => {
          await approve.mutateAsync({ v, version: x.version });
          await refresh();
          setDialog(null);
        }}
      />
      <RejectDialog
        open={dialog === 'reject'}
        what={kind.label(x)}
        onClose={() => setDialog(null)}
        onReject={async (reason) => {
          await reject.mutateAsync({ reason, version: x.version });
          await refresh();
          setDialog(null);
        }}
      />
      <ConfirmDialog
        open={dialog === 'retire'}
        title={`Retire ${kind.label(x)}?`}
        text={kind.retireText}
        confirm="Retire"
        busy={busy}
        testId="retire-dialog"
        error={actionError !== null && dialog === 'retire' ? <ProblemMessage error={actionError} /> : undefined}
        onClose={() => {
          setDialog(null);
          clearActionError();
        }}
        onConfirm={() => {
          newVersionMutation.reset();
          retireMutation.mutate(x.version);
        }}
      />
    </section>
  );
}
