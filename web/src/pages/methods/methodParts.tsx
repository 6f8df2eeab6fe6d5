// What recipes and SOPs share: their draft → approved → retired status,
// the approval dialog (an e-signature: the password again, and a comment),
// the rejection dialog (a reason) and the list of approvals with their
// signatures.
import { useState, type ReactNode } from 'react';
import type { MethodSignature, MethodStatus } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { SignatureDialog } from '../../forms/SignatureDialog';
import './methods.css';

const statusTone: Record<MethodStatus, string> = { draft: 'info', approved: 'ok', retired: 'muted' };

export const methodStatuses: MethodStatus[] = ['draft', 'approved', 'retired'];

export function StatusBadge({ status, testId }: { status: MethodStatus; testId?: string }) {
  return (
    <span className={`badge badge-${statusTone[status]}`} data-testid={testId}>
      {status}
    </span>
  );
}

export function isMethodStatus(s: string | null): s is MethodStatus {
  return methodStatuses.includes(s as MethodStatus);
}

interface ApproveValues {
  password: string;
  comment: string;
}

/**
 * Approving is signing: the approver types their password again
 * (SignatureDialog), and may add a comment.
 */
export function ApproveDialog({
  open,
  what,
  onClose,
  onApprove,
}: {
  open: boolean;
  what: string;
  onClose: () => void;
  onApprove: (v: ApproveValues) => Promise<unknown>;
}) {
  return (
    <SignatureDialog<ApproveValues>
      open={open}
      title={`Approve ${what}`}
      testId="approve-dialog"
      defaults={{ password: '', comment: '' }}
      fields={['password', 'comment']}
      autoFocusPassword
      intro="Approving is an electronic signature: enter your password to confirm that you approve this revision as it stands."
      after={(form) => (
        <Field label="Comment (optional)" error={form.formState.errors.comment}>
          <textarea rows={2} data-testid="approve-comment" {...form.register('comment')} />
        </Field>
      )}
      confirm="Sign and approve"
      onClose={onClose}
      onSign={onApprove}
    />
  );
}

/**
 * Sending a submitted draft back to its authors: a reason is required, and
 * is shown on the revision until it is submitted again.
 */
export function RejectDialog({
  open,
  what,
  onClose,
  onReject,
}: {
  open: boolean;
  what: string;
  onClose: () => void;
  onReject: (reason: string) => Promise<unknown>;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const close = () => {
    setReason('');
    setError(null);
    onClose();
  };
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await onReject(reason.trim());
      setReason('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} title={`Send back ${what}`} onClose={close} testId="reject-dialog">
      <Field label="Reason" hint="Shown on the revision to its authors.">
        <textarea rows={3} data-testid="reject-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
      </Field>
      {error !== null && <ProblemMessage error={error} />}
      <div className="actions">
        <button type="button" data-testid="reject-confirm" disabled={busy || reason.trim() === ''} onClick={() => void submit()}>
          Send back
        </button>
        <button type="button" className="secondary" onClick={close}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

/** A yes/no question before an action that cannot be undone (retire). */
export function ConfirmDialog({
  open,
  title,
  text,
  confirm,
  error,
  busy,
  onConfirm,
  onClose,
  testId,
}: {
  open: boolean;
  title: string;
  text: string;
  confirm: string;
  error?: ReactNode;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  testId?: string;
}) {
  return (
    <Dialog open={open} title={title} onClose={onClose} testId={testId}>
      <p>{text}</p>
      {error}
      <div className="actions">
        <button type="button" onClick={onConfirm} disabled={busy} data-testid={testId ? `${testId}-confirm` : undefined}>
          {confirm}
        </button>
        <button type="button" className="secondary" onClick={onClose} autoFocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

export interface ApprovalView {
  id: string;
  approver_name: string;
  approver_email: string;
  approver_role: string;
  approved_at: string;
  comment: string;
  signature: MethodSignature | null;
}

/** Who approved a revision, when, and the signature with its hash check. */
export function Approvals({ items, status }: { items: ApprovalView[]; status: MethodStatus }) {
  if (items.length === 0)
    return (
      <p className="muted" data-testid="no-approvals">
        {status === 'draft' ? 'Not approved yet.' : 'No approval is on record for this revision.'}
      </p>
    );
  return (
    <ul className="approvals" data-testid="approvals">
      {items.map((a) => (
        <li key={a.id} data-testid="approval">
          <div>
            <strong data-testid="approval-by">{a.approver_name || a.approver_email}</strong>{' '}
            <span className="muted">({a.approver_role})</span> · {formatTime(a.approved_at)}
          </div>
          {a.comment && <div className="small">“{a.comment}”</div>}
          {a.signature ? (
            <div className="small muted">
              Signed ({a.signature.meaning}, {a.signature.auth_method}) ·{' '}
              <span className="mono" title={a.signature.content_sha256}>
                sha256 {a.signature.content_sha256.slice(0, 16)}…
              </span>{' '}
              ·{' '}
              <span
                className={`badge badge-${a.signature.matches ? 'ok' : 'bad'}`}
                data-testid="approval-matches"
                data-matches={String(a.signature.matches)}
              >
                {a.signature.matches ? 'content matches' : 'content changed'}
              </span>
            </div>
          ) : (
            <div className="small muted">No e-signature recorded.</div>
          )}
        </li>
      ))}
    </ul>
  );
}
