import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { $api, api } from '../../api/client';
import { sampleQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import type { Device, Sample, SampleAction } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { Badge } from '../../components/Badge';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { CustodyForm } from './CustodyForm';
import { SampleForm, type SampleValues } from './SampleForm';
import { DeviceForm, StatusForm, WaferForm } from './WaferForms';

function Details({ sample }: { sample: Sample }) {
  return (
    <dl className="details">
      <dt>Name</dt>
      <dd data-testid="sample-detail-name">{sample.name}</dd>
      <dt>Material</dt>
      <dd>{sample.material || '—'}</dd>
      <dt>Status</dt>
      <dd>
        <Badge value={sample.status} testId="sample-detail-status" />
      </dd>
      <dt>Location</dt>
      <dd data-testid="sample-detail-location">{sample.location || '—'}</dd>
      <dt>Holder</dt>
      <dd data-testid="sample-detail-holder">{sample.holder || '—'}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(sample.updated_at)}</dd>
    </dl>
  );
}

// Which form the wafers card shows: a new wafer, a new device on a wafer,
// or an edit of a device.
type WaferEdit = { kind: 'wafer' } | { kind: 'device'; waferId: string; device?: Device } | null;

function WafersAndDevices({ sampleId, may }: { sampleId: string; may: (a: SampleAction) => boolean }) {
  const queryClient = useQueryClient();
  const [edit, setEdit] = useState<WaferEdit>(null);
  const wafers = $api.useQuery('get', '/api/lims/samples/{id}/wafers', {
    params: { path: { id: sampleId }, query: { limit: 100 } },
  });
  const devices = $api.useQuery('get', '/api/lims/devices', { params: { query: { sample_id: sampleId, limit: 200 } } });
  if (wafers.isPending || devices.isPending) return <Loading />;
  if (wafers.isError) return <ProblemMessage error={wafers.error} />;
  if (devices.isError) return <ProblemMessage error={devices.error} />;
  const done = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: sampleQueries.wafers() }),
      queryClient.invalidateQueries({ queryKey: sampleQueries.devices() }),
    ]);
    setEdit(null);
  };
  const byWafer = new Map<string, Device[]>();
  for (const d of devices.data.items ?? []) byWafer.set(d.wafer_id, [...(byWafer.get(d.wafer_id) ?? []), d]);
  const list = wafers.data.items ?? [];
  return (
    <>
      {list.length === 0 && <p className="muted">No wafers.</p>}
      {list.length > 0 && (
        <ul className="wafers" data-testid="wafers">
          {list.map((w) => {
            const onWafer = byWafer.get(w.id) ?? [];
            return (
              <li key={w.id} data-testid="wafer">
                <div className="page-head" data-testid="wafer-row">
                  <span>
                    <strong>{w.label}</strong>
                    {w.diameter_mm ? <span className="muted"> · {w.diameter_mm} mm</span> : null}
                    {w.notes && <span className="muted"> · {w.notes}</span>}
                  </span>
                  {may('add_wafer') && (
                    <button
                      type="button"
                      className="secondary small"
                      data-testid="add-device"
                      aria-label={`Add device to ${w.label}`}
                      onClick={() => setEdit({ kind: 'device', waferId: w.id })}
                    >
                      Add device
                    </button>
                  )}
                </div>
                <div className="chips">
                  {onWafer.map((d) => (
                    <span
                      key={d.id}
                      className="chip"
                      data-testid="device-row"
                      title={[d.kind, d.position].filter(Boolean).join(' · ')}
                    >
                      {d.name}
                      {d.kind && <span className="muted small"> {d.kind}</span>}
                      {d.position && <span className="muted small"> @ {d.position}</span>}
                      {may('edit') && (
                        <>
                          {' '}
                          <button
                            type="button"
                            className="link small"
                            data-testid="edit-device"
                            aria-label={`Edit device ${d.name}`}
                            onClick={() => setEdit({ kind: 'device', waferId: w.id, device: d })}
                          >
                            edit
                          </button>
                        </>
                      )}
                    </span>
                  ))}
                  {onWafer.length === 0 && <span className="muted small">no devices</span>}
                </div>
                {edit?.kind === 'device' && edit.waferId === w.id && (
                  <DeviceForm
                    key={edit.device?.id ?? edit.waferId}
                    waferId={edit.waferId}
                    device={edit.device}
                    onDone={done}
                    onCancel={() => setEdit(null)}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
      {(wafers.data.next_cursor || devices.data.next_cursor) && (
        <p className="muted small" data-testid="wafers-truncated">
          Showing the first {list.length} wafers and {devices.data.items?.length ?? 0} devices.
        </p>
      )}
      {edit?.kind === 'wafer' && <WaferForm sampleId={sampleId} onDone={done} onCancel={() => setEdit(null)} />}
      {edit === null && may('add_wafer') && (
        <div className="actions">
          <button type="button" className="secondary" data-testid="add-wafer" onClick={() => setEdit({ kind: 'wafer' })}>
            Add wafer
          </button>
        </div>
      )}
    </>
  );
}

function Custody({ sampleId }: { sampleId: string }) {
  const q = $api.useQuery('get', '/api/lims/samples/{id}/custody', {
    params: { path: { id: sampleId }, query: { limit: 100 } },
  });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const events = q.data.items ?? [];
  if (events.length === 0) return <p className="muted">No custody events yet.</p>;
  return (
    <ol className="timeline" data-testid="custody-timeline">
      {events.map((e) => (
        <li key={e.id} data-testid="custody-event">
          <div className="timeline-when">{formatTime(e.occurred_at)}</div>
          <div>
            <Badge value={e.event_type} />{' '}
            {[e.from_holder && `from ${e.from_holder}`, e.to_holder && `to ${e.to_holder}`].filter(Boolean).join(' ')}
            {e.to_location && <span> · at {e.to_location}</span>}
            {e.notes && <div className="muted small">{e.notes}</div>}
          </div>
        </li>
      ))}
    </ol>
  );
}

export default function SampleDetailPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [recording, setRecording] = useState(false);
  const [moving, setMoving] = useState(false);
  const q = $api.useQuery('get', '/api/lims/samples/{id}', { params: { path: { id } } });
  const save = useMutation({
    mutationFn: async ({ sample, v }: { sample: Sample; v: SampleValues }) =>
      unwrap(
        await api.PUT('/api/lims/samples/{id}', {
          params: { path: { id }, header: { 'If-Match': `"${sample.version}"` } },
          body: {
            barcode: v.barcode.trim(),
            name: v.name.trim(),
            material: v.material,
            location: v.location,
            status: v.status,
            project_id: sample.project_id,
            metadata: sample.metadata,
            version: sample.version,
          },
        }),
      ),
  });

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: sampleQueries.detail() }),
      queryClient.invalidateQueries({ queryKey: sampleQueries.custody() }),
      queryClient.invalidateQueries({ queryKey: sampleQueries.all() }),
    ]);

  if (q.isPending) return <Loading />;
  if (q.isError)
    return (
      <section className="page">
        <p>
          <Link to="/samples">← Samples</Link>
        </p>
        <ProblemMessage error={q.error} />
      </section>
    );
  const sample = q.data;
  // What the server says this caller may do to the sample now: the UI
  // offers exactly that (a disposed sample offers no custody or wafer).
  const may = (a: SampleAction) => sample.actions.includes(a);

  return (
    <section className="page">
      <p>
        <Link to="/samples">← Samples</Link>
      </p>
      <div className="page-head">
        <h1 data-testid="sample-detail-barcode">{sample.barcode}</h1>
        <div className="actions">
          {may('edit') && !editing && (
            <button type="button" className="secondary" data-testid="edit-sample" onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
          {/* Whoever may edit the whole sample changes its status there. */}
          {may('update_status') && !may('edit') && !moving && (
            <button type="button" className="secondary" data-testid="update-status" onClick={() => setMoving(true)}>
              Update status / location
            </button>
          )}
          {may('record_custody') && !recording && (
            <button type="button" data-testid="record-custody" onClick={() => setRecording(true)}>
              Record custody event
            </button>
          )}
        </div>
      </div>

      {editing ? (
        <SampleForm
          sample={sample}
          onCancel={() => setEditing(false)}
          onSave={async (v) => {
            await save.mutateAsync({ sample, v });
            await refresh();
            setEditing(false);
          }}
        />
      ) : (
        <div className="card">
          <Details sample={sample} />
        </div>
      )}

      {moving && (
        <StatusForm
          sample={sample}
          onCancel={() => setMoving(false)}
          onDone={async () => {
            await refresh();
            setMoving(false);
          }}
        />
      )}

      {recording && (
        <CustodyForm
          sampleId={id}
          onCancel={() => setRecording(false)}
          onDone={async () => {
            await refresh();
            setRecording(false);
          }}
        />
      )}

      <div className="grid">
        <section className="card" aria-labelledby="wafers-h">
          <h2 id="wafers-h">Wafers and devices</h2>
          <WafersAndDevices sampleId={id} may={may} />
        </section>
        <RoleGuard permission="custody.read">
          <section className="card" aria-labelledby="custody-h">
            <h2 id="custody-h">Custody</h2>
            <Custody sampleId={id} />
          </section>
        </RoleGuard>
      </div>
    </section>
  );
}
