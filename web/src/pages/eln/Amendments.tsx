import { useForm, useWatch } from 'react-hook-form';
import { Link } from 'react-router';
import { $api } from '../../api/client';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Loading } from '../../components/Loading';
import { Markdown } from '../../components/Markdown';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { applyServerErrors } from '../../forms/serverErrors';
import { MarkdownEditor } from './MarkdownEditor';

function Amendment({ id }: { id: string }) {
  const q = $api.useQuery('get', '/api/lims/eln/{id}', { params: { path: { id } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const a = q.data;
  return (
    <li className="hit" data-testid="amendment">
      <div className="hit-head">
        <Link to={`/eln/${a.id}`} className="hit-title">
          {a.title}
        </Link>
        <span className="muted small">{formatTime(a.created_at)}</span>
        {a.locked_at && <span className="badge badge-ok">signed</span>}
      </div>
      <Markdown source={a.body_markdown} />
    </li>
  );
}

/** The amendments correcting an entry, oldest first; the original stays as it was signed. */
export function Amendments({ ids }: { ids: string[] }) {
  if (ids.length === 0) return <p className="muted">No amendments.</p>;
  return (
    <ol className="hits" data-testid="amendments">
      {ids.map((id) => (
        <Amendment key={id} id={id} />
      ))}
    </ol>
  );
}

export interface AmendValues {
  title: string;
  body_markdown: string;
}

export function AmendForm({
  originalTitle,
  onSave,
  onCancel,
}: {
  originalTitle: string;
  onSave: (v: AmendValues) => Promise<unknown>;
  onCancel: () => void;
}) {
  const form = useForm<AmendValues>({ defaultValues: { title: '', body_markdown: '' } });
  const { errors, isSubmitting } = form.formState;
  const body = useWatch({ control: form.control, name: 'body_markdown' });
  const submit = form.handleSubmit(async (v) => {
    try {
      await onSave({ title: v.title.trim(), body_markdown: v.body_markdown });
    } catch (err) {
      applyServerErrors(err, form.setError, ['title', 'body_markdown']);
    }
  });
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="amend-form">
      <h2>Amend this entry</h2>
      <p className="small muted">The signed original stays unchanged; the amendment is added below it.</p>
      <Field label="Title (optional)" error={errors.title} hint={`Empty: “${originalTitle}”.`}>
        <input data-testid="amend-title" {...form.register('title')} />
      </Field>
      <MarkdownEditor label="Correction (Markdown)" error={errors.body_markdown} value={body} previewTestId="amend-preview">
        <textarea
          data-testid="amend-body"
          {...form.register('body_markdown', { validate: (s) => s.trim() !== '' || 'Write the correction.' })}
        />
      </MarkdownEditor>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="save-amendment" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Add amendment'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
