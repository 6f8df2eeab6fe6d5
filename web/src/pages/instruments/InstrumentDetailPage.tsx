import { useMutation, useQueryClient } from '@tanstack/react-query';
import { FilesCard } from '../../components/FilesCard';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { $api, api } from '../../api/client';
import { calibrationQueries, instrumentQueries, invalidate } from '../../api/queries';
import { unwrap } from '../../api/problem';
import { RoleGuard } from '../../auth/RoleGuard';
import { Badge } from '../../components/Badge';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { CalibrationForm } from './CalibrationForm';
import { daysLeftText } from './calibrationText';
import { InstrumentForm, type InstrumentValues } from './InstrumentForm';
import './instruments.css';
import type { Instrument } from '../../api/types';


function Details({ instrument }: { instrument: Instrument }) {
  const status = $api.useQuery('get', '/api/analysis/calibrations/status');
  const cal = status.data?.items?.find((c) => c.instrument.id === instrument.id);
  return (
    <dl className="details">
      <dt>Kind</dt>
      <dd>{instrument.kind}</dd>
      <dt>Serial</dt>
      <dd>{instrument.serial || '—'}</dd>
      <dt>Location</dt>
      <dd>{instrument.location || '—'}</dd>
      <dt>Status</dt>
      <dd>
        <Badge value={instrument.status} testId="instrument-status" />
      </dd>
      <dt>Calibration</dt>
      <dd>
        {status.isPending ? (
          '…'
        ) : cal ? (
          <>
            <Badge value={cal.state} testId="cal-badge" />{' '}
            {cal.certificate && (
              <span className="muted small">
                {cal.certificate.certificate_number}, until {formatTime(cal.certificate.expires_at)} ({daysLeftText(cal.days_left)})
              </span>
            )}
          </>
        ) : (
          '—'
        )}
      </dd>
      <dt>Updated</dt>
      <dd>{formatTime(instrument.updated_at)}</dd>
    </dl>
  );
}

function History({ instrumentId }: { instrumentId: string }) {
  const pager = useCursor();
  const q = $api.useQuery(
    'get',
    '/api/analysis/calibrations',
    { params: { query: { instrument_id: instrumentId, cursor: pager.cursor, limit: 20 } } },
    { placeholderData: (prev) => prev },
  );
  const card = (body: ReactNode) => (
    <section className="card" aria-labelledby="cal-history-h">
      <h2 id="cal-history-h">Calibration history</h2>
      {body}
    </section>
  );
  if (q.isPending) return card(<Loading />);
  if (q.isError) return card(<ProblemMessage error={q.error} />);
  const items = q.data.items ?? [];
  return (
    <>
      {card(
        <>
      {items.length === 0 ? (
        <p className="muted">No calibrations recorded.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="calibration-history">
            <thead>
              <tr>
                <th>Certificate</th>
                <th>Provider</th>
                <th>Issued</th>
                <th>Expires</th>
                <th>Notes</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} data-testid="calibration-row">
                  <td>
                    {c.certificate_number}
                    {c.revoked_at && (
                      <div className="small">
                        <Badge value="revoked" /> {c.revoked_reason}
                      </div>
                    )}
                  </td>
                  <td>{c.provider || 'in-house'}</td>
                  <td>{formatTime(c.issued_at)}</td>
                  <td>{formatTime(c.expires_at)}</td>
                  <td className="truncate" title={c.notes}>
                    {c.notes}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={pager.page} nextCursor={q.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />
        </>,
      )}
      {items[0] && !items[0].revoked_at && (
        <FilesCard
          owner="/api/analysis/calibrations"
          ownerId={items[0].id}
          writable
          permission="calibration.create"
          title={`Certificate files of ${items[0].certificate_number}`}
        />
      )}
    </>
  );
}

export default function InstrumentDetailPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [recording, setRecording] = useState(false);
  const q = $api.useQuery('get', '/api/analysis/instruments/{id}', { params: { path: { id } } });
  const save = useMutation({
    mutationFn: async ({ version, v }: { version: number; v: InstrumentValues }) =>
      unwrap(
        await api.PUT('/api/analysis/instruments/{id}', {
          params: { path: { id }, header: { 'If-Match': `"${version}"` } },
          body: v,
        }),
      ),
  });

  const refresh = () =>
    invalidate(queryClient, instrumentQueries.detail(), instrumentQueries.all(), calibrationQueries.all(), calibrationQueries.status());

  if (q.isPending) return <Loading />;
  if (q.isError)
    return (
      <section className="page">
        <p>
          <Link to="/instruments">← Instruments</Link>
        </p>
        <ProblemMessage error={q.error} />
      </section>
    );
  const instrument = q.data;

  return (
    <section className="page">
      <p>
        <Link to="/instruments">← Instruments</Link>
      </p>
      <div className="page-head">
        <h1 data-testid="instrument-detail-name">{instrument.name}</h1>
        <div className="actions">
          <RoleGuard permission="instrument.manage">
            {!editing && (
              <button type="button" className="secondary" data-testid="edit-instrument" onClick={() => setEditing(true)}>
                Edit
              </button>
            )}
          </RoleGuard>
          <RoleGuard permission="calibration.create">
            {!recording && (
              <button type="button" data-testid="record-calibration" onClick={() => setRecording(true)}>
                Record calibration
              </button>
            )}
          </RoleGuard>
        </div>
      </div>

      {editing ? (
        <InstrumentForm
          instrument={instrument}
          onCancel={() => setEditing(false)}
          onSave={async (v) => {
            await save.mutateAsync({ version: instrument.version, v });
            await refresh();
            setEditing(false);
          }}
        />
      ) : (
        <div className="card">
          <Details instrument={instrument} />
        </div>
      )}

      {recording && (
        <CalibrationForm
          instrumentId={id}
          onCancel={() => setRecording(false)}
          onDone={async () => {
            await refresh();
            setRecording(false);
          }}
        />
      )}

      <History instrumentId={id} />
    </section>
  );
}
