import { useMutation } from '@tanstack/react-query';
import { useForm, useWatch } from 'react-hook-form';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import type { CustodyEventType } from '../../api/types';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';

interface CustodyValues {
  event_type: CustodyEventType;
  to_holder: string;
  to_location: string;
  occurred_at: string; // datetime-local, empty: now
  notes: string;
}

const eventTypes: CustodyEventType[] = ['received', 'transferred', 'stored', 'checked_out', 'returned', 'consumed', 'disposed'];
const fields = ['event_type', 'to_holder', 'to_location', 'occurred_at', 'notes'] as const;

/** Records one custody event of a sample (POST /api/lims/custody). */
export function CustodyForm({ sampleId, onDone, onCancel }: { sampleId: string; onDone: () => void; onCancel: () => void }) {
  const form = useForm<CustodyValues>({
    defaultValues: { event_type: 'transferred', to_holder: '', to_location: '', occurred_at: '', notes: '' },
  });
  const { errors, isSubmitting } = form.formState;
  const type = useWatch({ control: form.control, name: 'event_type' });

  const record = useMutation({
    mutationFn: async (v: CustodyValues) =>
      unwrap(
        await api.POST('/api/lims/custody', {
          body: {
            sample_id: sampleId,
            event_type: v.event_type,
            to_holder: v.to_holder.trim() || undefined,
            to_location: v.to_location.trim() || undefined,
            occurred_at: v.occurred_at ? new Date(v.occurred_at).toISOString() : undefined,
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
    <form className="card form" onSubmit={submit} noValidate data-testid="custody-form">
      <h3>Record custody event</h3>
      <div className="form-grid">
        <Field label="Event" error={errors.event_type}>
          <select data-testid="custody-type" {...form.register('event_type')}>
            {eventTypes.map((t) => (
              <option key={t} value={t}>
                {t.replace('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="To holder"
          error={errors.to_holder}
          hint={type === 'transferred' || type === 'checked_out' ? 'Required for this event.' : undefined}
        >
          <input data-testid="custody-to-holder" {...form.register('to_holder')} />
        </Field>
        <Field label="To location" error={errors.to_location} hint={type === 'stored' ? 'Required for this event.' : undefined}>
          <input data-testid="custody-to-location" {...form.register('to_location')} />
        </Field>
        <Field label="When" error={errors.occurred_at} hint="Empty: now.">
          <input type="datetime-local" data-testid="custody-occurred-at" {...form.register('occurred_at')} />
        </Field>
        <Field label="Notes" error={errors.notes}>
          <textarea rows={2} data-testid="custody-notes" {...form.register('notes')} />
        </Field>
      </div>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="save-custody" disabled={isSubmitting}>
          {isSubmitting ? 'Recording…' : 'Record event'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
