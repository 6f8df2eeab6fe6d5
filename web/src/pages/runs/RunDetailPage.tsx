import { useQueryClient } from '@tanstack/react-query';
import { FilesCard } from '../../components/FilesCard';
import {
  createColumnHelper,
  getCoreRowModel,
  getPaginationRowModel,
  useReactTable,
} from '@tanstack/react-table';
import { useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { $api } from '../../api/client';
import { fileQueries, runQueries } from '../../api/queries';
import { toProblem } from '../../api/problem';
import { RoleGuard } from '../../auth/RoleGuard';
import { useAuth } from '../../auth/context';
import { DataTable } from '../../components/DataTable';
import { Badge } from '../../components/Badge';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { downloadCsvReport, downloadPdfReport, openHtmlReport } from './report';
import { ResultsUpload } from './ResultsUpload';
import { SeriesPlot, type Overlay } from './SeriesPlot';
import { SeriesUpload } from './SeriesUpload';
import { RunActions } from './RunActions';
import { AmendForm } from './AmendForm';
import { changeText, runTimeline, standing } from './amend';
import '../instruments/instruments.css';
import type { DataSeries, Result } from '../../api/types';

const rcol = createColumnHelper<Result>();
const resultColumns = [
  rcol.accessor('metric', { header: 'Metric' }),
  rcol.accessor('value', {
    header: 'Value',
    cell: (c) =>
      c.row.original.superseded_by ? (
        <s className="nowrap" data-testid="result-superseded-value">
          {c.getValue()}
        </s>
      ) : (
        <span className="nowrap">{c.getValue()}</span>
      ),
  }),
  rcol.accessor('unit', { header: 'Unit' }),
  rcol.accessor('device_id', { header: 'Device', cell: (c) => (c.getValue() ? <span className="mono">{c.getValue()?.slice(0, 8)}</span> : '—') }),
  rcol.accessor('measured_at', { header: 'Measured', cell: (c) => formatTime(c.getValue()) }),
  rcol.accessor('derivation', {
    header: 'Source',
    cell: (c) => {
      const d = c.getValue();
      return d ? <span data-testid="result-derived">{d.method.replace(/_/g, ' ')} of a data series</span> : 'measured';
    },
  }),
  rcol.display({
    id: 'standing',
    header: 'Standing',
    cell: (c) => {
      const st = standing(c.row.original);
      const words = { current: 'current', correction: 'current (amended)', superseded: 'superseded', withdrawn: 'withdrawn' };
      return (
        <span className={st === 'superseded' || st === 'withdrawn' ? 'badge badge-muted' : undefined} data-testid="result-standing">
          {words[st]}
        </span>
      );
    },
  }),
];

function Results({ results }: { results: Result[] }) {
  const table = useReactTable({
    data: results,
    columns: resultColumns,
    getCoreRowModel: getCoreRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
    initialState: { pagination: { pageSize: 25 } },
  });
  if (results.length === 0) return <p className="muted" data-testid="no-results">No results yet.</p>;
  return (
    <>
      <DataTable table={table} testId="results-table" rowTestId="result-row" />
      {table.getPageCount() > 1 && (
        <nav className="pager" aria-label="Result pages">
          <button type="button" onClick={() => table.previousPage()} disabled={!table.getCanPreviousPage()}>
            ← Previous
          </button>
          <span>
            Page {table.getState().pagination.pageIndex + 1} of {table.getPageCount()}
          </span>
          <button type="button" onClick={() => table.nextPage()} disabled={!table.getCanNextPage()}>
            Next →
          </button>
        </nav>
      )}
    </>
  );
}

/** The run's curves, each plotted, with the same recipe's other runs' curves of the same name to overlay. */
function DataPanel({ runId, recipeId, series }: { runId: string; recipeId: string; series: DataSeries[] }) {
  return (
    <>
      {series.length === 0 && (
        <p className="muted" data-testid="no-series">
          No data series yet.
        </p>
      )}
      {series.map((s) => (
        <OverlaidPlot key={s.id} series={s} runId={runId} recipeId={recipeId} />
      ))}
    </>
  );
}

function OverlaidPlot({ series, runId, recipeId }: { series: DataSeries; runId: string; recipeId: string }) {
  const others = $api.useQuery('get', '/api/analysis/series', {
    params: { query: { recipe_id: recipeId, name: series.name, limit: 10 } },
  });
  const overlays = useMemo<Overlay[]>(
    () =>
      (others.data?.items ?? [])
        .filter((o) => o.run_id !== runId)
        .slice(0, 5)
        .map((o) => ({ series: o, label: `run of ${formatTime(o.created_at)}` })),
    [others.data, runId],
  );
  return <SeriesPlot series={series} overlays={overlays} />;
}

function Reports({ runId }: { runId: string }) {
  const [error, setError] = useState<unknown>(null);
  const run = (f: (id: string) => Promise<void>) => async () => {
    setError(null);
    try {
      await f(runId);
    } catch (err) {
      setError(toProblem(err));
    }
  };
  return (
    <>
      <div className="actions">
        <button type="button" className="secondary" data-testid="download-csv" onClick={run(downloadCsvReport)}>
          Download CSV
        </button>
        <button type="button" className="secondary" data-testid="open-report" onClick={run(openHtmlReport)}>
          Printable report
        </button>
        <button type="button" className="secondary" data-testid="download-pdf" onClick={run(downloadPdfReport)}>
          Download PDF
        </button>
      </div>
      {error !== null && <ProblemMessage error={error} />}
    </>
  );
}

/** A completed run's corrections: the Amend button and, open, its form; closing returns the focus to the button. */
function Amend({ runId, results, onSaved }: { runId: string; results: Result[]; onSaved: () => Promise<unknown> }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    requestAnimationFrame(() => button.current?.focus());
  };
  return (
    <div>
      {!open && (
        <button type="button" ref={button} data-testid="amend-run" onClick={() => setOpen(true)}>
          Amend
        </button>
      )}
      {open && <AmendForm runId={runId} results={results} onSaved={onSaved} onClose={close} />}
    </div>
  );
}

export default function RunDetailPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const { me } = useAuth();
  const q = $api.useQuery('get', '/api/analysis/runs/{id}', { params: { path: { id } } });
  const recipeId = q.data?.recipe_id ?? '';
  const recipe = $api.useQuery('get', '/api/lims/recipes/{id}', { params: { path: { id: recipeId } } }, { enabled: !!recipeId });

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: runQueries.detail() }),
      queryClient.invalidateQueries({ queryKey: runQueries.all() }),
      // A series uploaded as a file keeps it: the raw files change too.
      queryClient.invalidateQueries({ queryKey: fileQueries('/api/analysis/runs').list() }),
    ]);

  if (q.isPending) return <Loading />;
  if (q.isError)
    return (
      <section className="page">
        <p>
          <Link to="/runs">← Runs</Link>
        </p>
        <ProblemMessage error={q.error} />
      </section>
    );
  const run = q.data;
  const units = new Map((recipe.data?.parameters ?? []).map((p) => [p.name, p.unit]));

  return (
    <section className="page">
      <p>
        <Link to="/runs">← Runs</Link>
      </p>
      <div className="page-head">
        <h1>
          Run of {run.recipe_name} <Badge value={run.status} testId="run-detail-status" />
        </h1>
        <RunActions run={run} onChanged={refresh} />
      </div>
      {run.blocked_reason && (
        <div className="alert alert-error" data-testid="blocked-reason">
          Blocked: {run.blocked_reason}
        </div>
      )}

      <div className="grid">
        <section className="card" aria-labelledby="run-h">
          <h2 id="run-h">Run</h2>
          <dl className="details">
            <dt>Recipe</dt>
            <dd>
              {run.recipe_name}, revision {run.recipe_revision} <Badge value={run.recipe_status} />
            </dd>
            <dt>Sample</dt>
            <dd>
              <Link to={`/samples/${run.sample_id}`}>{run.sample_barcode}</Link> — {run.sample_name}
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(run.created_at)}</dd>
            <dt>Started</dt>
            <dd>{formatTime(run.started_at)}</dd>
            <dt>Finished</dt>
            <dd>{formatTime(run.finished_at)}</dd>
            {run.notes && (
              <>
                <dt>Notes</dt>
                <dd>{run.notes}</dd>
              </>
            )}
            <dt>Parameters</dt>
            <dd>
              <ul className="alerts" data-testid="run-parameters">
                {Object.entries(run.parameters).map(([k, v]) => (
                  <li key={k}>
                    {k} = {v} {units.get(k) ?? ''}
                  </li>
                ))}
              </ul>
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="history-h">
          <h2 id="history-h">Status history</h2>
          <ol className="timeline" data-testid="run-history">
            {runTimeline(run.history ?? [], run.amendments ?? []).map((e, i) =>
              e.kind === 'transition' ? (
                <li key={i}>
                  <div className="timeline-when">{formatTime(e.at)}</div>
                  <div>
                    {e.transition.from ? <Badge value={e.transition.from} /> : 'created'} → <Badge value={e.transition.to} />
                    {e.transition.reason && <div className="muted small">{e.transition.reason}</div>}
                    <div className="muted small">
                      by{' '}
                      {!e.transition.actor_id ? 'system' : e.transition.actor_id === me?.user.id ? 'you' : e.transition.actor_id.slice(0, 8)}
                    </div>
                  </div>
                </li>
              ) : (
                <li key={i} data-testid="history-amendment">
                  <div className="timeline-when">{formatTime(e.at)}</div>
                  <div>
                    <strong>Amended</strong>: <span data-testid="amendment-reason">{e.amendment.reason}</span>
                    <ul className="small changes">
                      {(e.amendment.changes ?? []).map((c, j) => (
                        <li key={j} data-testid="amendment-change">
                          {changeText(c)}
                        </li>
                      ))}
                    </ul>
                    <div className="muted small">by {e.amendment.author_name || 'system'}</div>
                  </div>
                </li>
              ),
            )}
          </ol>
        </section>
      </div>

      <section className="card" aria-labelledby="inst-h" style={{ marginTop: '1rem' }}>
        <h2 id="inst-h">Instruments and certificates</h2>
        <div className="table-wrap">
          <table className="table" data-testid="run-instruments">
            <thead>
              <tr>
                <th>Instrument</th>
                <th>Kind</th>
                <th>Serial</th>
                <th>Certificate</th>
                <th>Valid</th>
              </tr>
            </thead>
            <tbody>
              {(run.instruments ?? []).map((i) => (
                <tr key={i.instrument_id}>
                  <td>
                    <Link to={`/instruments/${i.instrument_id}`}>{i.name}</Link>
                  </td>
                  <td>{i.kind}</td>
                  <td>{i.serial}</td>
                  <td>
                    {i.certificate ? (
                      <>
                        {i.certificate.certificate_number}
                        <div className="muted small">{i.certificate.provider || 'in-house'}</div>
                      </>
                    ) : i.calibration_required ? (
                      <Badge value="missing" />
                    ) : (
                      <Badge value="not_required" />
                    )}
                  </td>
                  <td>{i.certificate ? `${formatTime(i.certificate.issued_at)} – ${formatTime(i.certificate.expires_at)}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card" aria-labelledby="data-h">
        <h2 id="data-h">Data</h2>
        {run.actions.includes('upload_results') && <SeriesUpload runId={run.id} onDone={() => void refresh()} />}
        <div style={{ marginTop: '0.75rem' }}>
          <DataPanel runId={run.id} recipeId={run.recipe_id} series={run.series ?? []} />
        </div>
      </section>

      <FilesCard
        owner="/api/analysis/runs"
        ownerId={run.id}
        writable={run.actions.includes('upload_results')}
        permission="result.upload"
        title="Raw files"
        onUploaded={() => void refresh()}
      />

      <section className="card" aria-labelledby="results-h">
        <div className="page-head">
          <h2 id="results-h">Results</h2>
          <RoleGuard permission="report.download">
            <Reports runId={run.id} />
          </RoleGuard>
        </div>
        {run.actions.includes('upload_results') && (
          <ResultsUpload runId={run.id} onDone={() => void refresh()} />
        )}
        {run.actions.includes('amend') && (
          <RoleGuard permission="result.amend">
            <Amend runId={run.id} results={run.results ?? []} onSaved={refresh} />
          </RoleGuard>
        )}
        <div style={{ marginTop: '0.75rem' }}>
          <Results results={run.results ?? []} />
        </div>
      </section>
    </section>
  );
}
