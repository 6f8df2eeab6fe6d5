import { useMutation } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';

interface CalibrationValues {
  certificate_number: string;
  provider: string;
  issued_at: string; // yyyy-mm-dd
  expires_at: string; // yyyy-mm-dd
  notes: string;
}

const fields = ['certificate_number', 'provider', 'issued_at', 'expires_at', 'notes'] as const;

/** A date input's value (yyyy-mm-dd) as the API's timestamp, midnight UTC. */
export function dateToIso(date: string): string {
  return `${date}T00:00:00Z`;
}

/**
 * Records a calibration certificate of an instrument (POST
 * /api/analysis/calibrations). The server checks expires_at > issued_at;
 * its 422 appears at the field.
 */
export function CalibrationForm({
  instrumentId,
  onDone,
  onCancel,
}: {
  instrumentId: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const today = new Date().toISOString().slice(0, 10);
  const form = useForm<CalibrationValues>({
    defaultValues: { certificate_number: '', provider: '', issued_at: today, expires_at: '', notes: '' },
  });
  const { errors, isSubmitting } = form.formState;

  const record = useMutation({
    mutationFn: async (v: CalibrationValues) =>
      unwrap(
        await api.POST('/api/analysis/calibrations', {
          body: {
            instrument_id: instrumentId,
            certificate_number: v.certificate_number.trim(),
            provider: v.provider.trim() || undefined,
            issued_at: dateToIso(v.issued_at),
            expires_at: dateToIso(v.expires_at),
            notes: v.notes.trim() || undefined,
          },
        }),
      ),
  });

  const submit = form.handleSubmit(async (v) => {
    try {
      await record.mutateAsync(v);
      onDone();
    } catch (err) {
      applyServerErrors(err, form.setError, fields);
    }
  });

  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="calibration-form">
      <h2>Record calibration</h2>
      <div className="form-grid">
        <Field label="Certificate number" error={errors.certificate_number}>
          <input
            data-testid="cal-certificate"
            {...form.register('certificate_number', { required: 'A certificate number is required.' })}
          />
        </Field>
        <Field label="Provider" error={errors.provider} hint="Empty: in-house.">
          <input data-testid="cal-provider" {...form.register('provider')} />
        </Field>
        <Field label="Issued" error={errors.issued_at}>
          <input type="date" data-testid="cal-issued-at" {...form.register('issued_at', { required: 'When was it issued?' })} />
        </Field>
        <Field label="Expires" error={errors.expires_at}>
          <input
            type="date"
            data-testid="cal-expires-at"
            {...form.register('expires_at', { required: 'When does it expire?' })}
          />
        </Field>
      </div>
      <Field label="Notes" error={errors.notes}>
        <textarea rows={2} data-testid="cal-notes" {...form.register('notes')} />
      </Field>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="save-calibration" disabled={isSubmitting}>
          {isSubmitting ? 'Recording…' : 'Record calibration'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
