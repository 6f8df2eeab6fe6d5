import { useForm } from 'react-hook-form';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import type { Device, Sample, SampleStatus } from '../../api/types';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';

interface Done {
  onDone: () => void | Promise<void>;
  onCancel: () => void;
}

function Actions({ busy, testId, onCancel }: { busy: boolean; testId: string; onCancel: () => void }) {
  return (
    <div className="actions">
      <button type="submit" data-testid={testId} disabled={busy}>
        {busy ? 'Saving…' : 'Save'}
      </button>
      <button type="button" className="secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

interface WaferValues {
  label: string;
  diameter_mm: string;
  notes: string;
}
const waferFields = ['label', 'diameter_mm', 'notes'] as const;

/** Adds a wafer to a sample (POST /api/lims/samples/{id}/wafers). */
export function WaferForm({ sampleId, onDone, onCancel }: { sampleId: string } & Done) {
  const form = useForm<WaferValues>({ defaultValues: { label: '', diameter_mm: '', notes: '' } });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (v) => {
    try {
      unwrap(
        await api.POST('/api/lims/samples/{id}/wafers', {
          params: { path: { id: sampleId } },
          body: {
            label: v.label.trim(),
            diameter_mm: v.diameter_mm.trim() === '' ? undefined : Number(v.diameter_mm),
            notes: v.notes.trim() || undefined,
          },
        }),
      );
      await onDone();
    } catch (err) {
      applyServerErrors(err, form.setError, waferFields);
    }
  });
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="wafer-form">
      <h3>Add wafer</h3>
      <div className="form-grid">
        <Field label="Label" error={errors.label} hint="Unique within the sample, e.g. W2.">
          <input data-testid="wafer-label" {...form.register('label', { required: 'required' })} />
        </Field>
        <Field label="Diameter (mm)" error={errors.diameter_mm}>
          <input data-testid="wafer-diameter" inputMode="decimal" {...form.register('diameter_mm')} />
        </Field>
        <Field label="Notes" error={errors.notes}>
          <input data-testid="wafer-notes" {...form.register('notes')} />
        </Field>
      </div>
      <FormError errors={errors} />
      <Actions busy={isSubmitting} testId="save-wafer" onCancel={onCancel} />
    </form>
  );
}

interface DeviceValues {
  name: string;
  kind: string;
  position: string;
}
const deviceFields = ['name', 'kind', 'position'] as const;

/**
 * Adds a device to a wafer (POST /api/lims/devices) or edits one (PUT with
 * the version read, as If-Match too: a stale edit is the server's 409/412).
 */
export function DeviceForm({ waferId, device, onDone, onCancel }: { waferId: string; device?: Device } & Done) {
  const form = useForm<DeviceValues>({
    defaultValues: { name: device?.name ?? '', kind: device?.kind ?? '', position: device?.position ?? '' },
  });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (v) => {
    const body = { name: v.name.trim(), kind: v.kind.trim(), position: v.position.trim() };
    try {
      if (device) {
        unwrap(
          await api.PUT('/api/lims/devices/{id}', {
            params: { path: { id: device.id }, header: { 'If-Match': `"${device.version}"` } },
            body: { ...body, metadata: device.metadata, version: device.version },
          }),
        );
      } else {
        unwrap(await api.POST('/api/lims/devices', { body: { ...body, wafer_id: waferId } }));
      }
      await onDone();
    } catch (err) {
      applyServerErrors(err, form.setError, deviceFields);
    }
  });
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="device-form">
      <h3>{device ? `Edit device ${device.name}` : 'Add device'}</h3>
      <div className="form-grid">
        <Field label="Name" error={errors.name} hint="Unique within the wafer, e.g. D5.">
          <input data-testid="device-name" {...form.register('name', { required: 'required' })} />
        </Field>
        <Field label="Kind" error={errors.kind}>
          <input data-testid="device-kind" placeholder="diode, transistor…" {...form.register('kind')} />
        </Field>
        <Field label="Position" error={errors.position}>
          <input data-testid="device-position" placeholder="e.g. R2C3" {...form.register('position')} />
        </Field>
      </div>
      <FormError errors={errors} />
      <Actions busy={isSubmitting} testId="save-device" onCancel={onCancel} />
    </form>
  );
}

// Consumed and disposed follow from custody events only.
const settableStatuses: SampleStatus[] = ['registered', 'in_use', 'stored', 'checked_out'];

interface StatusValues {
  status: SampleStatus;
  location: string;
}

/**
 * Changes a sample's status and location (PATCH /api/lims/samples/{id}):
 * what a technician may change without the full edit.
 */
export function StatusForm({ sample, onDone, onCancel }: { sample: Sample } & Done) {
  const form = useForm<StatusValues>({ defaultValues: { status: sample.status, location: sample.location } });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (v) => {
    try {
      unwrap(
        await api.PATCH('/api/lims/samples/{id}', {
          params: { path: { id: sample.id } },
          body: { status: v.status, location: v.location.trim() },
        }),
      );
      await onDone();
    } catch (err) {
      applyServerErrors(err, form.setError, ['status', 'location'] as const);
    }
  });
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="status-form">
      <h3>Update status and location</h3>
      <div className="form-grid">
        <Field label="Status" error={errors.status}>
          <select data-testid="status-select" {...form.register('status')}>
            {(settableStatuses.includes(sample.status) ? settableStatuses : [sample.status, ...settableStatuses]).map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Location" error={errors.location}>
          <input data-testid="status-location" {...form.register('location')} />
        </Field>
      </div>
      <FormError errors={errors} />
      <Actions busy={isSubmitting} testId="save-status" onCancel={onCancel} />
    </form>
  );
}
