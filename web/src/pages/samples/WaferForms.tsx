import { useMutation } from '@tanstack/react-query';
import { useForm, type FieldValues, type Path, type UseFormSetError } from 'react-hook-form';
import { api } from '../../api/client';
import { toProblem, unwrap } from '../../api/problem';
import type { Device, EditSampleStatusInputBody, Sample, SampleStatus } from '../../api/types';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { FormActions } from '../../components/FormActions';
import { applyServerErrors } from '../../forms/serverErrors';

type EditSampleStatusBody = EditSampleStatusInputBody;

/**
 * applyServerErrors, and for a conflict (409: a duplicate name, a stale
 * version; 412: a stale If-Match) also the server's own message in
 * <FormError>, even when it names a field: a duplicate's "already used"
 * goes to the field, the server's explanation above the buttons.
 */
function showServerErrors<T extends FieldValues>(err: unknown, setError: UseFormSetError<T>, fields: readonly Path<T>[]) {
  applyServerErrors(err, setError, fields);
  const problem = toProblem(err);
  const placed = (problem.errors ?? []).some((e) => fields.some((f) => f === e.field));
  if ((problem.status === 409 || problem.status === 412) && placed && problem.detail) {
    setError('root.server', { type: String(problem.status), message: problem.detail });
  }
}

interface Done {
  onDone: () => void | Promise<void>;
  onCancel: () => void;
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
  const add = useMutation({
    mutationFn: async (v: WaferValues) =>
      unwrap(
        await api.POST('/api/lims/samples/{id}/wafers', {
          params: { path: { id: sampleId } },
          body: {
            label: v.label.trim(),
            diameter_mm: v.diameter_mm.trim() === '' ? undefined : Number(v.diameter_mm),
            notes: v.notes.trim() || undefined,
          },
        }),
      ),
  });
  const submit = form.handleSubmit(async (v) => {
    try {
      await add.mutateAsync(v);
      await onDone();
    } catch (err) {
      showServerErrors(err, form.setError, waferFields);
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
          <input
            data-testid="wafer-diameter"
            inputMode="decimal"
            {...form.register('diameter_mm', {
              validate: (v) => v.trim() === '' || Number.isFinite(Number(v)) || 'a number of millimetres',
            })}
          />
        </Field>
        <Field label="Notes" error={errors.notes}>
          <input data-testid="wafer-notes" {...form.register('notes')} />
        </Field>
      </div>
      <FormError errors={errors} />
      <FormActions busy={isSubmitting} testId="save-wafer" onCancel={onCancel} />
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
  const save = useMutation({
    mutationFn: async (v: DeviceValues) => {
      const body = { name: v.name.trim(), kind: v.kind.trim(), position: v.position.trim() };
      if (device) {
        return unwrap(
          await api.PUT('/api/lims/devices/{id}', {
            params: { path: { id: device.id }, header: { 'If-Match': `"${device.version}"` } },
            body: { ...body, metadata: device.metadata, version: device.version },
          }),
        );
      }
      return unwrap(await api.POST('/api/lims/devices', { body: { ...body, wafer_id: waferId } }));
    },
  });
  const submit = form.handleSubmit(async (v) => {
    try {
      await save.mutateAsync(v);
      await onDone();
    } catch (err) {
      showServerErrors(err, form.setError, deviceFields);
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
      <FormActions busy={isSubmitting} testId="save-device" onCancel={onCancel} />
    </form>
  );
}

// Every status of the schema's enum (a new one is a compile error here),
// and whether an edit may set it: consumed and disposed follow from
// custody events only (EditSampleStatusInputBody's description), and a
// sample in one of them keeps it.
const directlySettable = {
  registered: true,
  in_use: true,
  stored: true,
  checked_out: true,
  consumed: false,
  disposed: false,
} as const satisfies Record<NonNullable<EditSampleStatusBody['status']>, boolean>;
const settableStatuses = (Object.keys(directlySettable) as SampleStatus[]).filter((s) => directlySettable[s]);

interface StatusValues {
  status: SampleStatus;
  location: string;
}

/**
 * Changes a sample's status and location (PATCH /api/lims/samples/{id},
 * with the version read as If-Match: a stale form is the server's 412):
 * what a technician may change without the full edit. A consumed or
 * disposed sample keeps its status; only its location can change.
 */
export function StatusForm({ sample, onDone, onCancel }: { sample: Sample } & Done) {
  const form = useForm<StatusValues>({ defaultValues: { status: sample.status, location: sample.location } });
  const { errors, isSubmitting } = form.formState;
  const final = !directlySettable[sample.status];
  const update = useMutation({
    mutationFn: async (v: StatusValues) =>
      unwrap(
        await api.PATCH('/api/lims/samples/{id}', {
          params: { path: { id: sample.id }, header: { 'If-Match': `"${sample.version}"` } },
          body: { status: final ? undefined : v.status, location: v.location.trim() },
        }),
      ),
  });
  const submit = form.handleSubmit(async (v) => {
    try {
      await update.mutateAsync(v);
      await onDone();
    } catch (err) {
      showServerErrors(err, form.setError, ['status', 'location'] as const);
    }
  });
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="status-form">
      <h3>Update status and location</h3>
      <div className="form-grid">
        <Field
          label="Status"
          error={errors.status}
          hint={final ? `The sample is ${sample.status.replace('_', ' ')}: its status no longer changes.` : undefined}
        >
          <select data-testid="status-select" disabled={final} {...form.register('status')}>
            {(final ? [sample.status] : settableStatuses).map((s) => (
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
      <FormActions busy={isSubmitting} testId="save-status" onCancel={onCancel} />
    </form>
  );
}
