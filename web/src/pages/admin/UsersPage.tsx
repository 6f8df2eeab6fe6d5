import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { $api, api } from '../../api/client';
import { adminQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import type { InvitationCreated, Member } from '../../api/types';
import { useAuth } from '../../auth/context';
import { Badge } from '../../components/Badge';
import { ListResults } from '../../components/ListPage';
import { useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { AdminNav, grantableRoles, roles, type Role } from './AdminNav';
import { InvitationList, InviteForm, NewInvitation } from './Invitations';

function UserRow({ member, onChanged }: { member: Member; onChanged: () => Promise<unknown> }) {
  const { me } = useAuth();
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState('');
  const [done, setDone] = useState('');
  const grantable = grantableRoles(me?.role ?? '');
  const update = useMutation({
    mutationFn: async (body: { role?: Role; active?: boolean }) =>
      unwrap(
        await api.PATCH('/api/admin/users/{id}', {
          params: { path: { id: member.id }, header: { 'If-Match': `"${member.version}"` } },
          body,
        }),
      ),
  });
  const setPasswordMutation = useMutation({
    mutationFn: async (pw: string) =>
      unwrap(await api.POST('/api/admin/users/{id}/password', { params: { path: { id: member.id } }, body: { password: pw } })),
  });
  // One row, one message: each write clears the other's error as it starts.
  const busy = update.isPending || setPasswordMutation.isPending;
  const error: unknown = update.error ?? setPasswordMutation.error;

  function patch(body: { role?: Role; active?: boolean }) {
    setPasswordMutation.reset();
    setDone('');
    update.mutate(body, { onSettled: () => void onChanged() });
  }

  function resetPassword() {
    update.reset();
    setPasswordMutation.mutate(password, {
      onSuccess: () => {
        setResetting(false);
        setPassword('');
        setDone('Password changed.');
      },
    });
  }

  return (
    <>
      <tr data-testid="user-row" data-email={member.email}>
        <td>
          {member.name}
          {member.is_service && <span className="muted small"> (service account)</span>}
        </td>
        <td>{member.email}</td>
        <td>
          <label className="visually-hidden" htmlFor={`role-${member.id}`}>
            Role of {member.email}
          </label>
          <select
            id={`role-${member.id}`}
            data-testid="user-role-select"
            className="role-select"
            value={member.role}
            disabled={busy || !grantable.includes(member.role as Role)}
            onChange={(e) => patch({ role: e.target.value as Role })}
          >
            {roles.map((r) => (
              <option key={r} value={r} disabled={!grantable.includes(r)}>
                {r}
              </option>
            ))}
          </select>
        </td>
        <td>
          <Badge value={member.active ? 'active' : 'inactive'} />
        </td>
        <td>{formatTime(member.member_since)}</td>
        <td>
          <div className="actions">
            {member.active ? (
              <button type="button" className="secondary" data-testid="deactivate-user" disabled={busy} onClick={() => patch({ active: false })}>
                Deactivate
              </button>
            ) : (
              <button type="button" className="secondary" data-testid="reactivate-user" disabled={busy} onClick={() => patch({ active: true })}>
                Reactivate
              </button>
            )}
            {!member.is_service && (
              <button type="button" className="secondary" data-testid="reset-password" onClick={() => setResetting((r) => !r)}>
                Reset password
              </button>
            )}
          </div>
        </td>
      </tr>
      {(error !== null || resetting || done) && (
        <tr>
          <td colSpan={6}>
            {resetting && (
              <form
                className="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  resetPassword();
                }}
              >
                <div className="field">
                  <label htmlFor={`pw-${member.id}`}>New password for {member.email}</label>
                  <input
                    id={`pw-${member.id}`}
                    data-testid="reset-password-input"
                    type="password"
                    autoComplete="new-password"
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                  />
                </div>
                <button type="submit" data-testid="set-password" disabled={busy || !password}>
                  Set password
                </button>
                <p className="small muted">
                  Only for an account made here that belongs to no other organization; anyone else changes their own
                  password.
                </p>
              </form>
            )}
            {done && <div className="alert alert-info">{done}</div>}
            {error !== null && <ProblemMessage error={error} />}
          </td>
        </tr>
      )}
    </>
  );
}

export default function UsersPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const role = (params.get('role') ?? '') as Role | '';
  const active = (params.get('active') ?? '') as 'true' | 'false' | '';
  const pager = useCursor();
  const [inviting, setInviting] = useState(false);
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const queryClient = useQueryClient();
  const list = $api.useQuery(
    'get',
    '/api/admin/users',
    { params: { query: { q: q || undefined, role: role || undefined, active: active || undefined, cursor: pager.cursor, limit: 25 } } },
    { placeholderData: (prev) => prev },
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: adminQueries.users() });
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    next.delete(pager.key); // a new filter starts at page 1
    setParams(next);
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1>Administration</h1>
        {!inviting && (
          <button
            type="button"
            data-testid="new-user"
            onClick={() => {
              setCreated(null);
              setInviting(true);
            }}
          >
            Invite someone
          </button>
        )}
      </div>
      <AdminNav />
      {created && <NewInvitation created={created} onClose={() => setCreated(null)} />}
      {inviting && (
        <InviteForm
          onCancel={() => setInviting(false)}
          onCreated={(inv) => {
            setCreated(inv);
            setInviting(false);
          }}
        />
      )}
      <h2>Members</h2>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter('q', String(new FormData(e.currentTarget).get('q') ?? '').trim());
        }}
      >
        <div className="field">
          <label htmlFor="user-q">Name or email</label>
          <input id="user-q" name="q" type="search" defaultValue={q} key={q} data-testid="user-search" />
        </div>
        <div className="field">
          <label htmlFor="user-role-filter">Role</label>
          <select id="user-role-filter" value={role} onChange={(e) => setFilter('role', e.target.value)}>
            <option value="">Any</option>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="user-active-filter">State</label>
          <select id="user-active-filter" value={active} onChange={(e) => setFilter('active', e.target.value)}>
            <option value="">Any</option>
            <option value="true">Active</option>
            <option value="false">Deactivated</option>
          </select>
        </div>
        <div className="actions">
          <button type="submit" className="secondary">
            Search
          </button>
        </div>
      </form>
      <ListResults list={list} pager={pager}>
        {(data) => (
          <>
            <div className="table-wrap">
              <table className="table" data-testid="users-table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Email</th>
                    <th>Role</th>
                    <th>State</th>
                    <th>Member since</th>
                    <th>Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {(data.items ?? []).map((m) => (
                    <UserRow key={`${m.id}-${m.version}`} member={m} onChanged={refresh} />
                  ))}
                </tbody>
              </table>
            </div>
            {(data.items ?? []).length === 0 && <p className="muted">No users match.</p>}
          </>
        )}
      </ListResults>
      <InvitationList />
    </section>
  );
}
