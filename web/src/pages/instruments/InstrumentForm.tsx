import { useForm } from 'react-hook-form';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';
import type { Instrument, InstrumentBody } from '../../api/types';

export type InstrumentValues = Required<InstrumentBody>;

const fields = ['name', 'kind', 'serial', 'location', 'status', 'calibration_required'] as const;
const statuses: InstrumentValues['status'][] = ['active', 'maintenance', 'retired'];
export const instrumentKinds = ['SMU', 'spectrometer', 'ellipsometer', 'XRD', 'SEM'];

/**
 * Creates or edits an instrument. onSave sends the values; when it throws
 * the server's problem, its 422 field errors appear at the fields.
 */
export function InstrumentForm({
  instrument,
  onSave,
  onCancel,
}: {
  instrument?: Instrument;
  onSave: (v: InstrumentValues) => Promise<unknown>;
  onCancel: () => void;
}) {
  const form = useForm<InstrumentValues>({
    defaultValues: {
      name: instrument?.name ?? '',
      kind: instrument?.kind ?? '',
      serial: instrument?.serial ?? '',
      location: instrument?.location ?? '',
      status: instrument?.status ?? 'active',
      calibration_required: instrument?.calibration_required ?? true,
    },
  });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (v) => {
    try {
      await onSave({ ...v, name: v.name.trim(), kind: v.kind.trim(), serial: v.serial.trim(), location: v.location.trim() });
    } catch (err) {
      applyServerErrors(err, form.setError, fields);
    }
  });

  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="instrument-form">
      <h2>{instrument ? `Edit ${instrument.name}` : 'New instrument'}</h2>
      <div className="form-grid">
        <Field label="Name" error={errors.name}>
          <input data-testid="instrument-name" {...form.register('name', { required: 'A name is required.' })} />
        </Field>
        <Field label="Kind" error={errors.kind} hint="SMU, spectrometer, ellipsometer, XRD, SEM…">
          <input
            data-testid="instrument-kind"
            list="instrument-kinds"
            {...form.register('kind', { required: 'A kind is required.' })}
          />
        </Field>
        <Field label="Serial" error={errors.serial}>
          <input data-testid="instrument-serial" {...form.register('serial')} />
        </Field>
        <Field label="Location" error={errors.location}>
          <input data-testid="instrument-location" {...form.register('location')} />
        </Field>
        <Field label="Status" error={errors.status}>
          <select data-testid="instrument-status" {...form.register('status')}>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <datalist id="instrument-kinds">
        {instrumentKinds.map((k) => (
          <option key={k} value={k} />
        ))}
      </datalist>
      <label className="check">
        <input type="checkbox" data-testid="instrument-calibration-required" {...form.register('calibration_required')} />{' '}
        Calibration required (runs need a valid certificate)
      </label>
      {errors.calibration_required && <div className="field-error">{errors.calibration_required.message}</div>}
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="save-instrument" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
