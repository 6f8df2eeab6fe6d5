import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getCoreRowModel, useReactTable, type ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { $api } from '../../api/client';
import { methodQueries } from '../../api/queries';
import { RoleGuard } from '../../auth/RoleGuard';
import { DataTable } from '../../components/DataTable';
import { ListResults, SearchForm } from '../../components/ListPage';
import { useCursor } from '../../components/Pager';
import type { MethodFields, MethodKind, MethodRevision } from './kind';
import { isMethodStatus, methodStatuses } from './methodParts';

const PAGE_SIZE = 25;

/**
 * The list page of a kind of revisioned document: search, a status filter,
 * a page of revisions, newest first, and a new draft for those who may.
 */
export function MethodList<T extends MethodRevision, F extends MethodFields>({
  kind,
  columns,
  create,
}: {
  kind: MethodKind<T, F>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tanstack's column helper types each accessor's value
  columns: ColumnDef<T, any>[];
  /** Stores a new draft from the form's fields; the page then opens it. */
  create: (fields: F) => Promise<{ id: string }>;
}) {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const statusParam = params.get('status');
  const status = isMethodStatus(statusParam) ? statusParam : undefined;
  const pager = useCursor();
  const [creating, setCreating] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { key } = kind;
  const createDraft = useMutation({ mutationFn: create });

  const list = $api.useQuery(
    'get',
    kind.base,
    { params: { query: { q: q || undefined, status, cursor: pager.cursor, limit: PAGE_SIZE } } },
    { placeholderData: (prev) => prev },
  );
  const table = useReactTable({ data: (list.data?.items ?? []) as T[], columns, getCoreRowModel: getCoreRowModel() });

  const setFilter = (next: { q?: string; status?: string }) => {
    const merged = { q, status: status ?? '', ...next };
    setParams(Object.fromEntries(Object.entries(merged).filter(([, v]) => v)));
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1>{kind.title}</h1>
        <RoleGuard permission={kind.draftPermission}>
          {!creating && (
            <button type="button" data-testid={`new-${key}`} onClick={() => setCreating(true)}>
              New {kind.noun}
            </button>
          )}
        </RoleGuard>
      </div>

      {creating &&
        kind.form({
          onCancel: () => setCreating(false),
          onSave: async (fields) => {
            const created = await createDraft.mutateAsync(fields);
            await queryClient.invalidateQueries({ queryKey: methodQueries(kind.base).all() });
            setCreating(false);
            navigate(`${kind.route}/${created.id}`);
          },
        })}

      <div className="search-bar">
        <SearchForm
          id={`${key}-q`}
          label={`Search ${kind.nouns}`}
          placeholder={kind.searchPlaceholder}
          q={q}
          testId={`${key}-search`}
          submitTestId={`${key}-search-submit`}
          onSearch={(value) => setFilter({ q: value })}
        />
        <div className="status-filter">
          <label htmlFor={`${key}-status`}>Status</label>
          <select
            id={`${key}-status`}
            value={status ?? ''}
            data-testid={`${key}-status-filter`}
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

      <ListResults list={list} pager={pager}>
        {() => (
          <>
            <DataTable table={table} testId={`${key}s-table`} rowTestId={`${key}-row`} />
            {table.getRowModel().rows.length === 0 && (
              <p className="muted" data-testid={`${key}s-empty`}>
                {q || status ? `No ${kind.nouns} match.` : `No ${kind.nouns} yet.`}
              </p>
            )}
          </>
        )}
      </ListResults>
    </section>
  );
}
