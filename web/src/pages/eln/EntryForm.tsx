import { useForm, useWatch, type FieldError } from 'react-hook-form';
import { $api } from '../../api/client';
import type { ELNEntry } from '../../api/types';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { formatTime } from '../../components/time';
import { applyServerErrors } from '../../forms/serverErrors';
import { MarkdownEditor } from './MarkdownEditor';

export interface EntryValues {
  title: string;
  project_id: string;
  sample_ids: string[];
  run_ids: string[];
  body_markdown: string;
}

const fields = ['title', 'project_id', 'sample_ids', 'run_ids', 'body_markdown'] as const;

// A multiple select's error is the field's own (the server names sample_ids, not an element).
const listError = (e: unknown) => e as FieldError | undefined;

/**
 * Writes or edits a notebook entry: title, project (required), the samples
 * and runs it is about, and the Markdown body with a live preview.
 */
export function EntryForm({
  entry,
  onSave,
  onCancel,
}: {
  entry?: ELNEntry;
  onSave: (v: EntryValues) => Promise<unknown>;
  onCancel: () => void;
}) {
  const form = useForm<EntryValues>({
    defaultValues: {
      title: entry?.title ?? '',
      project_id: entry?.project_id ?? '',
      sample_ids: entry?.sample_ids ?? [],
      run_ids: entry?.run_ids ?? [],
      body_markdown: entry?.body_markdown ?? '',
    },
  });
  const { errors, isSubmitting } = form.formState;
  const body = useWatch({ control: form.control, name: 'body_markdown' });
  const projects = $api.useQuery('get', '/api/lims/projects', { params: { query: { limit: 200 } } });
  const samples = $api.useQuery('get', '/api/lims/samples', { params: { query: { limit: 200 } } });
  const runs = $api.useQuery('get', '/api/analysis/runs', { params: { query: { limit: 200 } } });

  const submit = form.handleSubmit(async (v) => {
    try {
      await onSave({ ...v, title: v.title.trim() });
    } catch (err) {
      applyServerErrors(err, form.setError, fields);
    }
  });

  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="eln-form">
      <h2>{entry ? `Edit “${entry.title}”` : 'New notebook entry'}</h2>
      <div className="form-grid">
        <Field label="Title" error={errors.title}>
          <input data-testid="eln-title" {...form.register('title', { required: 'A title is required.' })} />
        </Field>
        <Field label="Project" error={errors.project_id} hint={projects.isError ? 'Projects could not be loaded.' : undefined}>
          <select
            data-testid="eln-project"
            key={projects.data ? 'loaded' : 'loading'}
            {...form.register('project_id', { required: 'Choose the project.' })}>
            <option value="">{projects.isPending ? 'Loading…' : 'Choose a project'}</option>
            {(projects.data?.items ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.code} — {p.name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="form-grid">
        <Field label="Samples (optional)" error={listError(errors.sample_ids)} hint="Ctrl/⌘-click or Shift+arrows to pick several.">
          <select
            multiple
            className="select-multi"
            data-testid="eln-samples"
            key={samples.data ? 'loaded' : 'loading'} // re-applies the chosen ids once the options exist
            {...form.register('sample_ids')}
          >
                {(samples.data?.items ?? []).map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.barcode} — {s.name}
                  </option>
                ))}
              </select>
        </Field>
        <Field label="Runs (optional)" error={listError(errors.run_ids)}>
          <select
            multiple
            className="select-multi"
            data-testid="eln-runs"
            key={runs.data ? 'loaded' : 'loading'}
            {...form.register('run_ids')}
          >
                {(runs.data?.items ?? []).map((r) => (
                  <option key={r.id} value={r.id}>
                    Run {r.id.slice(-8)} · {r.status} · {formatTime(r.created_at, 'short')}
                  </option>
                ))}
              </select>
        </Field>
      </div>
      <MarkdownEditor label="Entry (Markdown)" error={errors.body_markdown} value={body} previewTestId="eln-preview">
        <textarea data-testid="eln-body" {...form.register('body_markdown')} />
      </MarkdownEditor>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="save-eln" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
