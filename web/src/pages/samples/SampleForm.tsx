import { useForm } from 'react-hook-form';
import type { Sample, SampleStatus } from '../../api/types';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';

export interface SampleValues {
  barcode: string;
  name: string;
  material: string;
  location: string;
  status: SampleStatus;
}

const fields = ['barcode', 'name', 'material', 'location', 'status'] as const;
// consumed and disposed are set by custody events only.
const editableStatuses: SampleStatus[] = ['registered', 'in_use', 'stored', 'checked_out'];

/**
 * Creates or edits a sample. onSave sends the values; when it throws the
 * server's problem, its 422 field errors appear at the fields.
 */
export function SampleForm({
  sample,
  onSave,
  onCancel,
}: {
  sample?: Sample;
  onSave: (v: SampleValues) => Promise<unknown>;
  onCancel: () => void;
}) {
  const form = useForm<SampleValues>({
    defaultValues: {
      barcode: sample?.barcode ?? '',
      name: sample?.name ?? '',
      material: sample?.material ?? '',
      location: sample?.location ?? '',
      status: sample?.status ?? 'registered',
    },
  });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (v) => {
    try {
      await onSave(v);
    } catch (err) {
      applyServerErrors(err, form.setError, fields);
    }
  });

  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="sample-form">
      <h2>{sample ? `Edit ${sample.barcode}` : 'New sample'}</h2>
      <div className="form-grid">
        <Field label="Barcode" error={errors.barcode}>
          <input data-testid="sample-barcode" {...form.register('barcode', { required: 'A barcode is required.' })} />
        </Field>
        <Field label="Name" error={errors.name}>
          <input data-testid="sample-name" {...form.register('name', { required: 'A name is required.' })} />
        </Field>
        <Field label="Material" error={errors.material}>
          <input data-testid="sample-material" {...form.register('material')} />
        </Field>
        <Field label="Location" error={errors.location}>
          <input data-testid="sample-location" {...form.register('location')} />
        </Field>
        {sample && editableStatuses.includes(sample.status) && (
          <Field label="Status" error={errors.status}>
            <select data-testid="sample-status" {...form.register('status')}>
              {editableStatuses.map((s) => (
                <option key={s} value={s}>
                  {s.replace('_', ' ')}
                </option>
              ))}
            </select>
          </Field>
        )}
      </div>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="save-sample" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
