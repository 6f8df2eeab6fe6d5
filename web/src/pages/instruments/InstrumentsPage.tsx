import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { $api, api } from '../../api/client';
import { calibrationQueries, instrumentQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import { RoleGuard } from '../../auth/RoleGuard';
import { DataTable } from '../../components/DataTable';
import { Badge } from '../../components/Badge';
import { ListResults, SearchForm } from '../../components/ListPage';
import { useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { daysLeftText } from './calibrationText';
import { InstrumentForm, type InstrumentValues } from './InstrumentForm';
import './instruments.css';
import type { Instrument, InstrumentCalibration } from '../../api/types';

interface Row {
  instrument: Instrument;
  calibration?: InstrumentCalibration;
}

const PAGE_SIZE = 25;
const col = createColumnHelper<Row>();
const columns = [
  col.accessor((r) => r.instrument.name, {
    id: 'name',
    header: 'Name',
    cell: (c) => (
      <Link to={`/instruments/${c.row.original.instrument.id}`} data-testid="instrument-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor((r) => r.instrument.kind, { id: 'kind', header: 'Kind' }),
  col.accessor((r) => r.instrument.serial, { id: 'serial', header: 'Serial' }),
  col.accessor((r) => r.instrument.location, { id: 'location', header: 'Location' }),
  col.accessor((r) => r.instrument.status, { id: 'status', header: 'Status', cell: (c) => <Badge value={c.getValue()} /> }),
  col.display({
    id: 'calibration',
    header: 'Calibration',
    cell: (c) => {
      const cal = c.row.original.calibration;
      if (!cal) return <span className="muted">—</span>;
      return (
        <>
          <Badge value={cal.state} testId="cal-badge" />
          {cal.certificate && (
            <div className="muted small">
              {cal.certificate.certificate_number} · until {formatTime(cal.certificate.expires_at)}
              {cal.days_left !== null && ` (${daysLeftText(cal.days_left)})`}
            </div>
          )}
        </>
      );
    },
  }),
];

export default function InstrumentsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const pager = useCursor();
  const [creating, setCreating] = useState(false);
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (v: InstrumentValues) => unwrap(await api.POST('/api/analysis/instruments', { body: v })),
  });
  const navigate = useNavigate();

  const list = $api.useQuery(
    'get',
    '/api/analysis/instruments',
    { params: { query: { q: q || undefined, cursor: pager.cursor, limit: PAGE_SIZE } } },
    { placeholderData: (prev) => prev },
  );
  const status = $api.useQuery('get', '/api/analysis/calibrations/status');

  const rows = useMemo<Row[]>(() => {
    const byId = new Map((status.data?.items ?? []).map((c) => [c.instrument.id, c]));
    return (list.data?.items ?? []).map((instrument) => ({ instrument, calibration: byId.get(instrument.id) }));
  }, [list.data, status.data]);
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel() });

  return (
    <section className="page">
      <div className="page-head">
        <h1>Instruments</h1>
        <RoleGuard permission="instrument.manage">
          {!creating && (
            <button type="button" data-testid="new-instrument" onClick={() => setCreating(true)}>
              New instrument
            </button>
          )}
        </RoleGuard>
      </div>

      {creating && (
        <InstrumentForm
          onCancel={() => setCreating(false)}
          onSave={async (v) => {
            const created = await create.mutateAsync(v);
            await Promise.all([
              queryClient.invalidateQueries({ queryKey: instrumentQueries.all() }),
              queryClient.invalidateQueries({ queryKey: calibrationQueries.status() }),
            ]);
            setCreating(false);
            navigate(`/instruments/${created.id}`);
          }}
        />
      )}

      {status.data && (
        <p className="muted small" data-testid="cal-counts">
          {(['valid', 'expiring', 'expired', 'missing', 'not_required'] as const)
            .map((s) => `${status.data.counts[s] ?? 0} ${s.replace('_', ' ')}`)
            .join(' · ')}{' '}
          — “expiring” means within {status.data.warning_days} days.
        </p>
      )}
      {status.isError && <ProblemMessage error={status.error} title="Calibration states unavailable" />}

      <SearchForm
        id="instrument-q"
        label="Search instruments"
        placeholder="Search by name or serial"
        q={q}
        testId="instrument-search"
        onSearch={(value) => {
          setParams(value ? { q: value } : {});
        }}
      />

      <ListResults list={list} pager={pager}>
        {() => (
          <>
            <DataTable table={table} testId="instruments-table" rowTestId="instrument-row" />
            {rows.length === 0 && <p className="muted">{q ? `No instruments match “${q}”.` : 'No instruments yet.'}</p>}
          </>
        )}
      </ListResults>
    </section>
  );
}
