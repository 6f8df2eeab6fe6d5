import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  createColumnHelper,
  getCoreRowModel,
  getPaginationRowModel,
  useReactTable,
} from '@tanstack/react-table';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { $api, api } from '../../api/client';
import { adminQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import { useAuth } from '../../auth/context';
import { DataTable } from '../../components/DataTable';
import { Badge } from '../../components/Badge';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { applyServerErrors } from '../../forms/serverErrors';
import { AdminNav, grantableRoles, type Role } from './AdminNav';
import type { APIKey, ApiKeyCreated } from '../../api/types';

type Created = ApiKeyCreated;
interface KeyValues {
  name: string;
  role: Role;
  expires_at: string; // yyyy-mm-dd
}

function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The new key, shown this once, with a copy button. */
function NewKey({ created, onClose }: { created: Created; onClose: () => void }) {
  const [copied, setCopied] = useState('');
  return (
    <div className="card" role="status" data-testid="new-api-key-box">
      <h2>Key “{created.name}” created</h2>
      <p>Copy it now: it is shown this once and cannot be retrieved later.</p>
      <div className="keybox">
        <code data-testid="new-api-key">{created.key}</code>
        <button
          type="button"
          data-testid="copy-api-key"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(created.key);
              setCopied('Copied.');
            } catch {
              setCopied('Copying failed: select the key and copy it by hand.');
            }
          }}
        >
          Copy
        </button>
      </div>
      {copied && <p className="small muted">{copied}</p>}
      <button type="button" className="secondary" onClick={onClose}>
        I have stored it
      </button>
    </div>
  );
}

function NewKeyForm({ onCreated, onCancel }: { onCreated: (k: Created) => Promise<unknown>; onCancel: () => void }) {
  const { me } = useAuth();
  const form = useForm<KeyValues>({ defaultValues: { name: '', role: 'viewer', expires_at: inDays(90) } });
  const { errors, isSubmitting } = form.formState;
  const create = useMutation({
    mutationFn: async (v: KeyValues) =>
      unwrap(
        await api.POST('/api/admin/api-keys', {
          body: { name: v.name.trim(), role: v.role, expires_at: `${v.expires_at}T00:00:00Z` },
        }),
      ),
  });
  const submit = form.handleSubmit(async (v) => {
    try {
      await onCreated(await create.mutateAsync(v));
    } catch (err) {
      applyServerErrors(err, form.setError, ['name', 'role', 'expires_at']);
    }
  });
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="api-key-form">
      <h2>New API key</h2>
      <div className="form-grid">
        <Field label="Name" error={errors.name} hint="What the key is for, e.g. the probe-station uploader.">
          <input data-testid="api-key-name" {...form.register('name', { required: 'A name is required.' })} />
        </Field>
        <Field label="Role" error={errors.role} hint="No higher than your own.">
          <select data-testid="api-key-role" {...form.register('role')}>
            {grantableRoles(me?.role ?? '').map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Expires" error={errors.expires_at} hint="At most two years ahead.">
          <input type="date" data-testid="api-key-expires" {...form.register('expires_at', { required: 'An expiry is required.' })} />
        </Field>
      </div>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="create-api-key" disabled={isSubmitting}>
          {isSubmitting ? 'Creating…' : 'Create key'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function keyState(k: APIKey): string {
  if (k.revoked_at) return 'revoked';
  if (Date.parse(k.expires_at) < Date.now()) return 'expired';
  return 'active';
}

const col = createColumnHelper<APIKey>();

export default function ApiKeysPage() {
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const list = $api.useQuery('get', '/api/admin/api-keys');
  const refresh = () => queryClient.invalidateQueries({ queryKey: adminQueries.apiKeys() });
  const revokeKey = useMutation({
    mutationFn: async (k: APIKey) => unwrap(await api.DELETE('/api/admin/api-keys/{id}', { params: { path: { id: k.id } } })),
  });

  function revoke(k: APIKey) {
    if (!window.confirm(`Revoke the key “${k.name}” (${k.prefix}…)? Programs using it stop working at once.`)) return;
    revokeKey.mutate(k, { onSettled: () => void refresh() });
  }

  const columns = [
    col.accessor('name', { header: 'Name' }),
    col.accessor('prefix', { header: 'Key', cell: (c) => <span className="mono">{c.getValue()}…</span> }),
    col.accessor('role', { header: 'Role' }),
    col.display({ id: 'state', header: 'State', cell: (c) => <Badge value={keyState(c.row.original)} /> }),
    col.accessor('created_at', { header: 'Created', cell: (c) => formatTime(c.getValue()) }),
    col.accessor('expires_at', { header: 'Expires', cell: (c) => formatTime(c.getValue()) }),
    col.accessor('last_used_at', { header: 'Last used', cell: (c) => formatTime(c.getValue()) }),
    col.display({
      id: 'actions',
      header: '',
      cell: (c) =>
        !c.row.original.revoked_at && (
          <button type="button" className="secondary" data-testid="revoke-api-key" onClick={() => revoke(c.row.original)}>
            Revoke
          </button>
        ),
    }),
  ];
  const table = useReactTable({
    data: list.data?.items ?? [],
    columns,
    getCoreRowModel: getCoreRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
    initialState: { pagination: { pageSize: 25 } },
  });

  return (
    <section className="page">
      <div className="page-head">
        <h1>Administration</h1>
        {!creating && (
          <button
            type="button"
            data-testid="new-api-key-button"
            onClick={() => {
              setCreated(null);
              setCreating(true);
            }}
          >
            New API key
          </button>
        )}
      </div>
      <AdminNav />
      {created && <NewKey created={created} onClose={() => setCreated(null)} />}
      {creating && (
        <NewKeyForm
          onCancel={() => setCreating(false)}
          onCreated={async (k) => {
            setCreated(k);
            setCreating(false);
            await refresh();
          }}
        />
      )}
      {revokeKey.error !== null && <ProblemMessage error={revokeKey.error} />}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ProblemMessage error={list.error} />
      ) : (list.data.items ?? []).length === 0 ? (
        <p className="muted">No API keys yet.</p>
      ) : (
        <>
          <DataTable table={table} testId="api-keys-table" rowTestId="api-key-row" />
          <nav className="pager" aria-label="Pages">
            <button type="button" onClick={() => table.previousPage()} disabled={!table.getCanPreviousPage()}>
              ← Previous
            </button>
            <span>
              Page {table.getState().pagination.pageIndex + 1} of {Math.max(1, table.getPageCount())}
            </span>
            <button type="button" onClick={() => table.nextPage()} disabled={!table.getCanNextPage()}>
              Next →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
