import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { $api } from '../../api/client';
import { Badge } from '../../components/Badge';
import { DataTable } from '../../components/DataTable';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import type { Job } from '../../api/types';
import { AdminNav } from './AdminNav';

const col = createColumnHelper<Job>();

const columns = [
  col.accessor('kind', {
    header: 'Job',
    cell: (c) => (
      <>
        <span className="mono">{c.getValue()}</span>
        {c.row.original.global && <span className="small muted"> (housekeeping, every organization)</span>}
      </>
    ),
  }),
  col.accessor('state', { header: 'State', cell: (c) => <Badge value={c.getValue()} testId="job-state" /> }),
  col.display({
    id: 'attempts',
    header: 'Attempts',
    cell: (c) => `${c.row.original.attempt} of ${c.row.original.max_attempts}`,
  }),
  col.accessor('last_error', {
    header: 'Last error',
    cell: (c) => (c.getValue() ? <span data-testid="job-error">{c.getValue()}</span> : ''),
  }),
  col.accessor('scheduled_at', { header: 'Scheduled', cell: (c) => formatTime(c.getValue()) }),
  col.accessor('finalized_at', { header: 'Finished', cell: (c) => formatTime(c.getValue()) }),
];

/** The organization's background jobs and the global housekeeping, newest first (GET /api/admin/jobs). */
export default function JobsPage() {
  const list = $api.useQuery('get', '/api/admin/jobs', { params: { query: { limit: 100 } } });
  const table = useReactTable({ data: list.data?.items ?? [], columns, getCoreRowModel: getCoreRowModel() });
  return (
    <section className="page">
      <div className="page-head">
        <h1>Administration</h1>
        <button type="button" className="secondary" data-testid="jobs-refresh" onClick={() => void list.refetch()}>
          Refresh
        </button>
      </div>
      <AdminNav />
      <p className="muted small">
        Jobs run in the background: housekeeping every hour, calibration notices for this organization. A failed
        attempt is retried later, each time after a longer wait.
      </p>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ProblemMessage error={list.error} />
      ) : (list.data.items ?? []).length === 0 ? (
        <p className="muted">No jobs yet.</p>
      ) : (
        <DataTable table={table} testId="jobs-table" rowTestId="job-row" />
      )}
    </section>
  );
}
