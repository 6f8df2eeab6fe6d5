import { useQueryClient } from '@tanstack/react-query';
import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { $api, api } from '../../api/client';
import { unwrap } from '../../api/problem';
import type { Recipe } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { DataTable } from '../../components/DataTable';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { isMethodStatus, methodStatuses, StatusBadge } from './methodParts';
import { RecipeForm } from './RecipeForm';

const PAGE_SIZE = 25;
const col = createColumnHelper<Recipe>();
const columns = [
  col.accessor('name', {
    header: 'Name',
    cell: (c) => (
      <Link to={`/recipes/${c.row.original.id}`} data-testid="recipe-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor('revision', { header: 'Rev.' }),
  col.accessor('status', { header: 'Status', cell: (c) => <StatusBadge status={c.getValue()} testId="recipe-status" /> }),
  col.accessor('instrument_kinds', { header: 'Instruments', cell: (c) => (c.getValue() ?? []).join(', ') || '—' }),
  col.accessor('parameters', { header: 'Parameters', cell: (c) => (c.getValue() ?? []).length }),
  col.accessor('updated_at', { header: 'Updated', cell: (c) => formatTime(c.getValue(), 'short') }),
];

export default function RecipesPage() {
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
    '/api/lims/recipes',
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
        <h1>Recipes</h1>
        <RoleGuard permission="recipe.draft">
          {!creating && (
            <button type="button" data-testid="new-recipe" onClick={() => setCreating(true)}>
              New recipe
            </button>
          )}
        </RoleGuard>
      </div>

      {creating && (
        <RecipeForm
          onCancel={() => setCreating(false)}
          onSave={async (fields) => {
            const created = unwrap(await api.POST('/api/lims/recipes', { body: fields }));
            await queryClient.invalidateQueries({ queryKey: ['get', '/api/lims/recipes'] });
            setCreating(false);
            navigate(`/recipes/${created.id}`);
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
          <label htmlFor="recipe-q" className="visually-hidden">
            Search recipes
          </label>
          <input
            id="recipe-q"
            name="q"
            type="search"
            placeholder="Search by name"
            defaultValue={q}
            key={q}
            data-testid="recipe-search"
          />
          <button type="submit" className="secondary" data-testid="recipe-search-submit">
            Search
          </button>
        </form>
        <div className="status-filter">
          <label htmlFor="recipe-status">Status</label>
          <select
            id="recipe-status"
            value={status ?? ''}
            data-testid="recipe-status-filter"
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
          <DataTable table={table} testId="recipes-table" rowTestId="recipe-row" />
          {table.getRowModel().rows.length === 0 && (
            <p className="muted" data-testid="recipes-empty">
              {q || status ? 'No recipes match.' : 'No recipes yet.'}
            </p>
          )}
          <Pager page={pager.page} nextCursor={list.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />
        </>
      )}
    </section>
  );
}
