import { useQueryClient } from '@tanstack/react-query';
import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { $api, api } from '../../api/client';
import { unwrap } from '../../api/problem';
import type { SOP } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { DataTable } from '../../components/DataTable';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { isMethodStatus, methodStatuses, StatusBadge } from '../recipes/methodParts';
import { SopForm } from './SopForm';

const PAGE_SIZE = 25;
const col = createColumnHelper<SOP>();
const columns = [
  col.accessor('code', {
    header: 'Code',
    cell: (c) => (
      <Link to={`/sops/${c.row.original.id}`} className="nowrap" data-testid="sop-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor('title', { header: 'Title' }),
  col.accessor('revision', { header: 'Rev.' }),
  col.accessor('status', { header: 'Status', cell: (c) => <StatusBadge status={c.getValue()} testId="sop-status" /> }),
  col.accessor('approved_at', { header: 'Approved', cell: (c) => formatTime(c.getValue(), 'short') }),
  col.accessor('updated_at', { header: 'Updated', cell: (c) => formatTime(c.getValue(), 'short') }),
];

export default function SopsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const statusParam = params.get('status');
  const status = isMethodStatus(statusParam) ? statusParam : undefined;
  const pager = useCursor();
  const [creating, setCreating] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  const list = $api.useQuery(
    'get',
    '/api/lims/sops',
    { params: { query: { q: q || undefined, status, cursor: pager.cursor, limit: PAGE_SIZE } } },
    { placeholderData: (prev) => prev },
  );
  const table = useReactTable({ data: list.data?.items ?? [], columns, getCoreRowModel: getCoreRowModel() });

  const setFilter = (next: { q?: string; status?: string }) => {
    pager.reset();
    const merged = { q, status: status ?? '', ...next };
    setParams(Object.fromEntries(Object.entries(merged).filter(([, v]) => v)));
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1>SOPs</h1>
        <RoleGuard permission="sop.draft">
          {!creating && (
            <button type="button" data-testid="new-sop" onClick={() => setCreating(true)}>
              New SOP
            </button>
          )}
        </RoleGuard>
      </div>

      {creating && (
        <SopForm
          onCancel={() => setCreating(false)}
          onSave={async (v) => {
            const created = unwrap(await api.POST('/api/lims/sops', { body: v }));
            await queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/sops'] });
            setCreating(false);
            navigate(`/sops/${created.id}`);
          }}
        />
      )}

      <div className="search-bar">
        <form
          className="search"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter({ q: String(new FormData(e.currentTarget).get('q') ?? '').trim() });
          }}
        >
          <label htmlFor="sop-q" className="visually-hidden">
            Search SOPs
          </label>
          <input
            id="sop-q"
            name="q"
            type="search"
            placeholder="Search by code or title"
            defaultValue={q}
            key={q}
            data-testid="sop-search"
          />
          <button type="submit" className="secondary" data-testid="sop-search-submit">
            Search
          </button>
        </form>
        <div className="status-filter">
          <label htmlFor="sop-status">Status</label>
          <select
            id="sop-status"
            value={status ?? ''}
            data-testid="sop-status-filter"
            onChange={(e) => setFilter({ status: e.target.value })}
          >
            <option value="">any</option>
            {methodStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>

      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ProblemMessage error={list.error} />
      ) : (
        <>
          <DataTable table={table} testId="sops-table" rowTestId="sop-row" />
          {table.getRowModel().rows.length === 0 && (
            <p className="muted" data-testid="sops-empty">
              {q || status ? 'No SOPs match.' : 'No SOPs yet.'}
            </p>
          )}
          <Pager page={pager.page} nextCursor={list.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />
        </>
      )}
    </section>
  );
}
