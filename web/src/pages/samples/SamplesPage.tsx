import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { $api, api } from '../../api/client';
import { sampleQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import type { Sample } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { DataTable } from '../../components/DataTable';
import { Badge } from '../../components/Badge';
import { ListResults, SearchForm } from '../../components/ListPage';
import { useCursor } from '../../components/Pager';
import { formatTime } from '../../components/time';
import { SampleForm, type SampleValues } from './SampleForm';

const PAGE_SIZE = 25;
const col = createColumnHelper<Sample>();
const columns = [
  col.accessor('barcode', {
    header: 'Barcode',
    cell: (c) => (
      <Link to={`/samples/${c.row.original.id}`} className="nowrap" data-testid="sample-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor('name', { header: 'Name' }),
  col.accessor('material', { header: 'Material' }),
  col.accessor('status', { header: 'Status', cell: (c) => <Badge value={c.getValue()} /> }),
  col.accessor('location', { header: 'Location' }),
  col.accessor('holder', { header: 'Holder' }),
  col.accessor('updated_at', { header: 'Updated', cell: (c) => formatTime(c.getValue(), 'short') }),
];

export default function SamplesPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const pager = useCursor();
  const [creating, setCreating] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: async (v: SampleValues) =>
      unwrap(
        await api.POST('/api/lims/samples', {
          body: { barcode: v.barcode.trim(), name: v.name.trim(), material: v.material, location: v.location },
        }),
      ),
  });

  const list = $api.useQuery(
    'get',
    '/api/lims/samples',
    { params: { query: { q: q || undefined, cursor: pager.cursor, limit: PAGE_SIZE } } },
    { placeholderData: (prev) => prev },
  );
  const table = useReactTable({ data: list.data?.items ?? [], columns, getCoreRowModel: getCoreRowModel() });

  return (
    <section className="page">
      <div className="page-head">
        <h1>Samples</h1>
        <RoleGuard permission="sample.create">
          {!creating && (
            <button type="button" data-testid="new-sample" onClick={() => setCreating(true)}>
              New sample
            </button>
          )}
        </RoleGuard>
      </div>

      {creating && (
        <SampleForm
          onCancel={() => setCreating(false)}
          onSave={async (v) => {
            const created = await create.mutateAsync(v);
            await queryClient.invalidateQueries({ queryKey: sampleQueries.all() });
            setCreating(false);
            navigate(`/samples/${created.id}`);
          }}
        />
      )}

      <SearchForm
        id="sample-q"
        label="Search samples"
        placeholder="Search by barcode or name"
        q={q}
        testId="sample-search"
        submitTestId="sample-search-submit"
        onSearch={(value) => {
          setParams(value ? { q: value } : {});
        }}
      />

      <ListResults list={list} pager={pager}>
        {() => (
          <>
            <DataTable table={table} testId="samples-table" rowTestId="sample-row" />
            {table.getRowModel().rows.length === 0 && (
              <p className="muted" data-testid="samples-empty">
                {q ? `No samples match “${q}”.` : 'No samples yet.'}
              </p>
            )}
          </>
        )}
      </ListResults>
    </section>
  );
}
