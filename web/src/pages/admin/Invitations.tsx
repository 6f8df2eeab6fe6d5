// Inviting people into the organization (PRODUCT.md §11): the admin names
// an e-mail and a role; the person accepts with the one-time token, with
// their existing account's password or by making one. The admin never sets
// anyone's account.
import { useQueryClient } from '@tanstack/react-query';
import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { $api } from '../../api/client';
import { adminQueries } from '../../api/queries';
import type { Invitation, InvitationCreated } from '../../api/types';
import { useAuth } from '../../auth/context';
import { Badge } from '../../components/Badge';
import { DataTable } from '../../components/DataTable';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { applyServerErrors } from '../../forms/serverErrors';
import { acceptLink } from '../invitations/link';
import { grantableRoles, type Role } from './AdminNav';

const listPath = '/api/admin/invitations';

function CopyButton({ text, testId, what }: { text: string; testId: string; what: string }) {
  const [note, setNote] = useState('');
  return (
    <>
      <button
        type="button"
        className="secondary"
        data-testid={testId}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setNote('Copied.');
          } catch {
            setNote(`Copying failed: select the ${what} and copy it by hand.`);
          }
        }}
      >
        Copy {what}
      </button>
      {note && <span className="small muted"> {note}</span>}
    </>
  );
}

/** The invitation just made: its token and accept link, shown this once. */
export function NewInvitation({ created, onClose }: { created: InvitationCreated; onClose: () => void }) {
  const link = acceptLink(window.location.origin, created.token);
  return (
    <div className="card" role="status" data-testid="invite-created">
      <h2>Invitation for {created.email} ({created.role})</h2>
      <p>
        <strong>Shown this once:</strong> pass the link (or the token) to the person now — it cannot be retrieved
        later. Whoever holds it can accept the invitation for {created.email}, until {formatTime(created.expires_at)}.
        They sign in with their account’s password if this e-mail already has one, or choose a password to make one.
      </p>
      <div className="field">
        <label htmlFor="invite-link">Accept link</label>
        <div className="keybox">
          <input id="invite-link" readOnly value={link} data-testid="invite-link" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={link} testId="copy-invite-link" what="link" />
        </div>
      </div>
      <div className="field">
        <span>Token</span>
        <div className="keybox">
          <code data-testid="invite-token">{created.token}</code>
          <CopyButton text={created.token} testId="copy-invite-token" what="token" />
        </div>
      </div>
      <button type="button" className="secondary" data-testid="invite-done" onClick={onClose}>
        I have passed it on
      </button>
    </div>
  );
}

interface InviteValues {
  email: string;
  role: Role;
}

export function InviteForm({ onCreated, onCancel }: { onCreated: (inv: InvitationCreated) => void; onCancel: () => void }) {
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const form = useForm<InviteValues>({ defaultValues: { email: '', role: 'viewer' } });
  const { errors, isSubmitting } = form.formState;
  const invite = $api.useMutation('post', listPath, {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminQueries.invitations() }),
  });
  const submit = form.handleSubmit(async (v) => {
    try {
      onCreated(await invite.mutateAsync({ body: { email: v.email.trim(), role: v.role } }));
    } catch (err) {
      applyServerErrors(err, form.setError, ['email', 'role']);
    }
  });
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="invite-form">
      <h2>Invite someone</h2>
      <p className="muted small">
        They become a member when they accept: with their password if the e-mail already has an account (here or in
        another organization), or by choosing one.
      </p>
      <div className="form-grid">
        <Field label="Email" error={errors.email}>
          <input type="email" autoComplete="off" data-testid="invite-email" {...form.register('email', { required: 'An email is required.' })} />
        </Field>
        <Field label="Role" error={errors.role} hint="No higher than your own.">
          <select data-testid="invite-role" {...form.register('role')}>
            {grantableRoles(me?.role ?? '').map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="send-invite" disabled={isSubmitting}>
          {isSubmitting ? 'Inviting…' : 'Invite'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const col = createColumnHelper<Invitation>();

/** The organization's invitations, newest first; open ones can be withdrawn. */
export function InvitationList() {
  const queryClient = useQueryClient();
  const pager = useCursor('invitations_after');
  const list = $api.useQuery('get', listPath, { params: { query: { limit: 25, cursor: pager.cursor } } }, { placeholderData: (prev) => prev });
  const withdraw = $api.useMutation('delete', '/api/admin/invitations/{id}', {
    onSettled: () => queryClient.invalidateQueries({ queryKey: adminQueries.invitations() }),
  });

  const columns = [
    col.accessor('email', { header: 'Email' }),
    col.accessor('role', { header: 'Role' }),
    col.accessor('status', { header: 'Status', cell: (c) => <Badge value={c.getValue()} /> }),
    col.accessor('created_at', { header: 'Invited', cell: (c) => formatTime(c.getValue()) }),
    col.accessor('expires_at', { header: 'Expires', cell: (c) => formatTime(c.getValue()) }),
    col.display({
      id: 'actions',
      header: '',
      cell: (c) => {
        const inv = c.row.original;
        if (inv.status !== 'open') return null;
        return (
          <button
            type="button"
            className="secondary"
            data-testid="withdraw-invitation"
            disabled={withdraw.isPending}
            onClick={() => {
              if (!window.confirm(`Withdraw the invitation for ${inv.email}? Its link stops working at once.`)) return;
              withdraw.mutate({ params: { path: { id: inv.id } } });
            }}
          >
            Withdraw
          </button>
        );
      },
    }),
  ];
  const table = useReactTable({ data: list.data?.items ?? [], columns, getCoreRowModel: getCoreRowModel(), getRowId: (i) => i.id });

  return (
    <section className="admin-section" aria-labelledby="invitations-heading" data-testid="invitations">
      <h2 id="invitations-heading">Invitations</h2>
      {withdraw.isError && <ProblemMessage error={withdraw.error} />}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ProblemMessage error={list.error} />
      ) : (list.data.items ?? []).length === 0 && pager.page === 1 ? (
        <p className="muted">No invitations yet.</p>
      ) : (
        <>
          <DataTable table={table} testId="invitations-table" rowTestId="invitation-row" />
          <Pager page={pager.page} nextCursor={list.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />
        </>
      )}
    </section>
  );
}
