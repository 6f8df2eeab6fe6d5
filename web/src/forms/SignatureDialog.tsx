// The e-signature dialog, one for signing an ELN entry and for approving
// a recipe or SOP revision: the signer types their password again (the
// server's esign), with what the kind of signature adds (a meaning, a
// comment). A wrong password is the server's 401, shown at the field; the
// session goes on (the API client does not take it for an expired one).
import type { ReactNode } from 'react';
import { useForm, type DefaultValues, type Path, type PathValue, type UseFormReturn } from 'react-hook-form';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { FormError } from '../components/FormError';
import { applyServerErrors } from './serverErrors';

export function SignatureDialog<V extends { password: string }>({
  open,
  title,
  testId,
  defaults,
  fields,
  clearPasswordOnError = false,
  autoFocusPassword = false,
  intro,
  before,
  after,
  confirm,
  onClose,
  onSign,
}: {
  open: boolean;
  title: string;
  /** The dialog's test id; the password is `${prefix}-password`, the button `${prefix}-confirm`. */
  testId: string;
  defaults: DefaultValues<V>;
  /** The fields the server's errors may name. */
  fields: readonly Path<V>[];
  clearPasswordOnError?: boolean;
  autoFocusPassword?: boolean;
  intro: ReactNode;
  /** Fields before the password and after it. */
  before?: (form: UseFormReturn<V>) => ReactNode;
  after?: (form: UseFormReturn<V>) => ReactNode;
  /** The submit button's text. */
  confirm: string;
  onClose: () => void;
  onSign: (v: V) => Promise<unknown>;
}) {
  const form = useForm<V>({ defaultValues: defaults });
  const { errors, isSubmitting } = form.formState;
  const prefix = testId.replace(/-dialog$/, '');
  const password = 'password' as Path<V>;
  const close = () => {
    form.reset();
    onClose();
  };
  const submit = form.handleSubmit(async (v) => {
    try {
      await onSign(v);
      form.reset();
    } catch (err) {
      applyServerErrors(err, form.setError, fields);
      if (clearPasswordOnError) form.setValue(password, '' as PathValue<V, Path<V>>);
    }
  });
  return (
    <Dialog open={open} title={title} onClose={close} testId={testId}>
      <form onSubmit={submit} noValidate>
        <p className="small muted">{intro}</p>
        {before?.(form)}
        <Field label="Password" error={form.getFieldState(password, form.formState).error}>
          <input
            type="password"
            autoComplete="current-password"
            data-testid={`${prefix}-password`}
            autoFocus={autoFocusPassword}
            {...form.register(password, { required: 'Enter your password to sign.' })}
          />
        </Field>
        {after?.(form)}
        <FormError errors={errors} />
        <div className="actions">
          <button type="submit" data-testid={`${prefix}-confirm`} disabled={isSubmitting}>
            {isSubmitting ? 'Signing…' : confirm}
          </button>
          <button type="button" className="secondary" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
