import { useForm, useWatch } from 'react-hook-form';
import type { SOP } from '../../api/types';
import type { MethodFormProps } from '../methods/kind';
import { FormActions } from '../../components/FormActions';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';
import { MarkdownEditor } from '../eln/MarkdownEditor';

export interface SopValues {
  code: string;
  title: string;
  body_markdown: string;
}

const fields = ['code', 'title', 'body_markdown'] as const;

/** Creates or edits a draft SOP; the body is Markdown, previewed live. */
export function SopForm({ value: sop, onSave, onCancel }: MethodFormProps<SOP, SopValues>) {
  const form = useForm<SopValues>({
    defaultValues: { code: sop?.code ?? '', title: sop?.title ?? '', body_markdown: sop?.body_markdown ?? '' },
  });
  const { errors, isSubmitting } = form.formState;
  const body = useWatch({ control: form.control, name: 'body_markdown' });
  const submit = form.handleSubmit(async (v) => {
    try {
      await onSave({ code: v.code.trim(), title: v.title.trim(), body_markdown: v.body_markdown });
    } catch (err) {
      applyServerErrors(err, form.setError, fields);
    }
  });

  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="sop-form">
      <h2>{sop ? `Edit ${sop.code} (rev. ${sop.revision})` : 'New SOP'}</h2>
      <div className="form-grid">
        <Field
          label="Code"
          error={errors.code}
          hint={sop && sop.revision > 1 ? 'Fixed after the first revision.' : 'e.g. SOP-IV-002'}
        >
          <input
            data-testid="sop-code"
            readOnly={!!sop && sop.revision > 1}
            {...form.register('code', { required: 'A code is required.' })}
          />
        </Field>
        <Field label="Title" error={errors.title}>
          <input data-testid="sop-title" {...form.register('title', { required: 'A title is required.' })} />
        </Field>
      </div>
      <MarkdownEditor label="Procedure (Markdown)" error={errors.body_markdown} value={body} previewTestId="sop-preview">
        <textarea data-testid="sop-body" {...form.register('body_markdown')} />
      </MarkdownEditor>
      <FormError errors={errors} />
      <FormActions testId="save-sop" busy={isSubmitting} onCancel={onCancel} label="Save draft" />
    </form>
  );
}
