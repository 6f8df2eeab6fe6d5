import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { $api, api } from '../../api/client';
import { adminQueries, calibrationQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { applyServerErrors } from '../../forms/serverErrors';
import { AdminNav } from './AdminNav';
import type { OrgSettings } from '../../api/types';

type Settings = OrgSettings;
interface SettingsValues {
  name: string;
  calibration_warning_days: number;
  access_token_ttl_seconds: number;
  refresh_token_ttl_seconds: number;
  require_independent_approval: boolean;
}
const fields = [
  'name',
  'calibration_warning_days',
  'access_token_ttl_seconds',
  'refresh_token_ttl_seconds',
  'require_independent_approval',
] as const;

/** "15 min", "14 days" for a number of seconds. */
export function durationText(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '';
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function SettingsForm({ settings }: { settings: Settings }) {
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(false);
  const form = useForm<SettingsValues>({ defaultValues: settings });
  const { errors, isSubmitting, isDirty } = form.formState;
  const [access, refresh] = form.watch(['access_token_ttl_seconds', 'refresh_token_ttl_seconds']);
  const save = useMutation({
    mutationFn: async (v: SettingsValues) =>
      unwrap(await api.PUT('/api/admin/organization', { body: { ...v, name: v.name.trim(), version: settings.version } })),
  });
  const submit = form.handleSubmit(async (v) => {
    setSaved(false);
    try {
      const next = await save.mutateAsync(v);
      form.reset(next);
      setSaved(true);
      await queryClient.invalidateQueries({ queryKey: adminQueries.organization() });
      await queryClient.invalidateQueries({ queryKey: calibrationQueries.status() });
    } catch (err) {
      applyServerErrors(err, form.setError, fields);
    }
  });
  const num = { valueAsNumber: true, validate: (v: number) => Number.isInteger(v) || 'Enter a whole number.' } as const;
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="settings-form">
      <div className="form-grid">
        <Field label="Organization name" error={errors.name}>
          <input data-testid="settings-name" {...form.register('name', { required: 'A name is required.' })} />
        </Field>
        <Field
          label="Calibration warning (days)"
          error={errors.calibration_warning_days}
          hint="An instrument whose certificate expires within this many days is “expiring”."
        >
          <input type="number" min={0} data-testid="settings-warning-days" {...form.register('calibration_warning_days', num)} />
        </Field>
        <Field label="Access token lifetime (seconds)" error={errors.access_token_ttl_seconds} hint={durationText(access)}>
          <input type="number" min={60} data-testid="settings-access-ttl" {...form.register('access_token_ttl_seconds', num)} />
        </Field>
        <Field label="Refresh token lifetime (seconds)" error={errors.refresh_token_ttl_seconds} hint={durationText(refresh)}>
          <input type="number" min={300} data-testid="settings-refresh-ttl" {...form.register('refresh_token_ttl_seconds', num)} />
        </Field>
      </div>
      <label className="check">
        <input type="checkbox" data-testid="settings-independent-approval" {...form.register('require_independent_approval')} /> Require
        independent approval: whoever created, edited or submitted a recipe or SOP revision may not approve it
      </label>
      <FormError errors={errors} />
      {saved && !isDirty && (
        <div className="alert alert-info" role="status" data-testid="settings-saved">
          Saved.
        </div>
      )}
      <div className="actions">
        <button type="submit" data-testid="save-settings" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Save settings'}
        </button>
      </div>
    </form>
  );
}

export default function SettingsPage() {
  const q = $api.useQuery('get', '/api/admin/organization');
  return (
    <section className="page">
      <h1>Administration</h1>
      <AdminNav />
      {q.isPending ? <Loading /> : q.isError ? <ProblemMessage error={q.error} /> : <SettingsForm key={q.data.version} settings={q.data} />}
    </section>
  );
}
