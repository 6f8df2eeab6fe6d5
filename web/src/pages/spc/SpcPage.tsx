import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useMemo } from 'react';
import { Link } from 'react-router';
import { $api } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { AlertList } from './AlertList';
import type { SPCSeries } from './chart';
import '../instruments/instruments.css';

const fmt = (v: number) => (Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(3) : String(Number(v.toPrecision(6))));
const col = createColumnHelper<SPCSeries>();
const columns = [
  col.accessor('name', {
    header: 'Series',
    cell: (c) => (
      <Link to={`/spc/${c.row.original.id}`} data-testid="spc-series-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor('metric', { header: 'Metric' }),
  col.accessor('unit', { header: 'Unit' }),
  col.accessor('center_line', { header: 'Centre', cell: (c) => fmt(c.getValue()) }),
  col.accessor('sigma', { header: 'σ', cell: (c) => fmt(c.getValue()) }),
  col.accessor('lcl', { header: 'LCL', cell: (c) => fmt(c.getValue()) }),
  col.accessor('ucl', { header: 'UCL', cell: (c) => fmt(c.getValue()) }),
  col.accessor('baseline_size', { header: 'Limits from', cell: (c) => (c.getValue() ? `${c.getValue()} results` : 'given') }),
];

export default function SpcPage() {
  const pager = useCursor();
  const list = $api.useQuery(
    'get',
    '/api/analysis/spc/series',
    { params: { query: { cursor: pager.cursor, limit: 25 } } },
    { placeholderData: (prev) => prev },
  );
  const table = useReactTable({ data: list.data?.items ?? [], columns, getCoreRowModel: getCoreRowModel() });
  const names = useMemo(() => new Map((list.data?.items ?? []).map((s) => [s.id, s.name])), [list.data]);

  return (
    <section className="page">
      <h1>Statistical process control</h1>
      <section className="card" aria-labelledby="series-h">
        <h2 id="series-h">Series</h2>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ProblemMessage error={list.error} />
        ) : (
          <>
            <DataTable table={table} testId="spc-series-table" rowTestId="spc-series-row" />
            {table.getRowModel().rows.length === 0 && <p className="muted">No series yet.</p>}
            <Pager page={pager.page} nextCursor={list.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />
          </>
        )}
      </section>
      <section className="card" aria-labelledby="alerts-h">
        <h2 id="alerts-h">Alerts</h2>
        <AlertList seriesNames={names} />
      </section>
    </section>
  );
}
