import { useId, type ReactElement, type ReactNode } from 'react';
import { cloneElement } from 'react';
import type { FieldError } from 'react-hook-form';

/**
 * A labelled form control with its error message underneath, wired for
 * screen readers (aria-invalid, aria-describedby).
 */
export function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: FieldError | undefined;
  hint?: ReactNode;
  children: ReactElement<Record<string, unknown>>;
}) {
  const id = useId();
  const msgId = `${id}-msg`;
  const control = cloneElement(children, {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error || hint ? msgId : undefined,
  });
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {control}
      {(error?.message || hint) && (
        <div id={msgId} className={error ? 'field-error' : 'field-hint'}>
          {error?.message ?? hint}
        </div>
      )}
    </div>
  );
}
