import type { ReactElement } from 'react';
import type { FieldError } from 'react-hook-form';
import { Field } from '../../components/Field';
import { Markdown } from '../../components/Markdown';
import '../methods/methods.css';

/** A Markdown textarea (the child) beside a live preview of what it holds. */
export function MarkdownEditor({
  label,
  error,
  value,
  previewTestId,
  children,
}: {
  label: string;
  error?: FieldError | undefined;
  value: string;
  previewTestId?: string;
  children: ReactElement<Record<string, unknown>>;
}) {
  return (
    <div className="editor">
      <Field label={label} error={error} hint="Markdown: # heading, **bold**, *italic*, - list, 1. steps, `code`, [link](url).">
        {children}
      </Field>
      <div>
        <div className="preview-label" aria-hidden="true">
          Preview
        </div>
        <section className="preview" aria-label="Preview" aria-live="off">
          <Markdown source={value} testId={previewTestId} />
        </section>
      </div>
    </div>
  );
}
