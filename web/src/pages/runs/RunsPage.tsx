import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { $api } from '../../api/client';
import type { Run } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { DataTable } from '../../components/DataTable';
import { Badge } from '../../components/Badge';
import { ListResults } from '../../components/ListPage';
import { useCursor } from '../../components/Pager';
import { formatTime } from '../../components/time';
import '../instruments/instruments.css';

type Status = Run['status'];
export const runStatuses: Status[] = ['planned', 'running', 'completed', 'failed', 'aborted', 'blocked'];
const PAGE_SIZE = 25;

interface Row {
  run: Run;
  recipe: string;
  sample: string;
}

const col = createColumnHelper<Row>();
const columns = [
  col.accessor((r) => r.run.created_at, {
    id: 'created',
    header: 'Created',
    cell: (c) => (
      <Link to={`/runs/${c.row.original.run.id}`} data-testid="run-link">
        {formatTime(c.getValue())}
      </Link>
    ),
  }),
  col.accessor('recipe', { header: 'Recipe' }),
  col.accessor('sample', { header: 'Sample' }),
  col.accessor((r) => r.run.status, { id: 'status', header: 'Status', cell: (c) => <Badge value={c.getValue()} testId="run-status" /> }),
  col.accessor((r) => r.run.started_at, { id: 'started', header: 'Started', cell: (c) => formatTime(c.getValue()) }),
  col.accessor((r) => r.run.finished_at, { id: 'finished', header: 'Finished', cell: (c) => formatTime(c.getValue()) }),
  col.accessor((r) => r.run.blocked_reason ?? r.run.notes, {
    id: 'notes',
    header: 'Notes',
    cell: (c) => (
      <span className="truncate" title={c.getValue() ?? ''}>
        {c.getValue()}
      </span>
    ),
  }),
];

export default function RunsPage() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? '') as Status | '';
  const pager = useCursor();

  const list = $api.useQuery(
    'get',
    '/api/analysis/runs',
    { params: { query: { status: status || undefined, cursor: pager.cursor, limit: PAGE_SIZE } } },
    { placeholderData: (prev) => prev },
  );
  // Names for the ids a run carries; a lab has far fewer than 200 recipes.
  const recipes = $api.useQuery('get', '/api/lims/recipes', { params: { query: { limit: 200 } } });
  const samples = $api.useQuery('get', '/api/lims/samples', { params: { query: { limit: 200 } } });

  const rows = useMemo<Row[]>(() => {
    const rn = new Map((recipes.data?.items ?? []).map((r) => [r.id, `${r.name} r${r.revision}`]));
    const sn = new Map((samples.data?.items ?? []).map((s) => [s.id, s.barcode]));
    return (list.data?.items ?? []).map((run) => ({
      run,
      recipe: rn.get(run.recipe_id) ?? run.recipe_id.slice(0, 8),
      sample: sn.get(run.sample_id) ?? run.sample_id.slice(0, 8),
    }));
  }, [list.data, recipes.data, samples.data]);
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel() });

  return (
    <section className="page">
      <div className="page-head">
        <h1>Runs</h1>
        <RoleGuard permission="run.create">
          <Link to="/runs/new" className="button" data-testid="new-run">
            New run
          </Link>
        </RoleGuard>
      </div>

      <div className="filters">
        <div className="field">
          <label htmlFor="run-status-filter">Status</label>
          <select
            id="run-status-filter"
            data-testid="run-status-filter"
            value={status}
            onChange={(e) => {
              setParams(e.target.value ? { status: e.target.value } : {});
            }}
          >
            <option value="">Any</option>
            {runStatuses.map((s) => (
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
            <DataTable table={table} testId="runs-table" rowTestId="run-row" />
            {rows.length === 0 && <p className="muted">{status ? `No ${status} runs.` : 'No runs yet.'}</p>}
          </>
        )}
      </ListResults>
    </section>
  );
}
