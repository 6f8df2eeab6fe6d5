import { useForm } from 'react-hook-form';
import type { SignMeaning } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';

interface SignValues {
  meaning: SignMeaning;
  password: string;
}

export const meanings: { value: SignMeaning; text: string }[] = [
  { value: 'authored', text: 'Authored — I wrote this entry' },
  { value: 'reviewed', text: 'Reviewed — I checked this entry' },
  { value: 'approved', text: 'Approved — I approve this entry' },
];

/**
 * The e-signature: the meaning of the signature and the signer's password
 * again. A wrong password is the server's 401, shown here at the field;
 * the session goes on (the API client does not take it for an expired one).
 */
export function SignDialog({
  open,
  title,
  onClose,
  onSign,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  onSign: (v: SignValues) => Promise<unknown>;
}) {
  const form = useForm<SignValues>({ defaultValues: { meaning: 'authored', password: '' } });
  const { errors, isSubmitting } = form.formState;
  const close = () => {
    form.reset();
    onClose();
  };
  const submit = form.handleSubmit(async (v) => {
    try {
      await onSign(v);
      form.reset();
    } catch (err) {
      applyServerErrors(err, form.setError, ['meaning', 'password']);
      form.setValue('password', '');
    }
  });
  return (
    <Dialog open={open} title={`Sign “${title}”`} onClose={close} testId="sign-dialog">
      <form onSubmit={submit} noValidate>
        <p className="small muted">
          Your signature records your name, role, the time, its meaning and a SHA-256 digest of the entry as it stands.
          The entry is then locked; later corrections are amendments.
        </p>
        <Field label="Meaning" error={errors.meaning}>
          <select data-testid="sign-meaning" {...form.register('meaning')}>
            {meanings.map((m) => (
              <option key={m.value} value={m.value}>
                {m.text}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Password" error={errors.password}>
          <input
            type="password"
            autoComplete="current-password"
            data-testid="sign-password"
            {...form.register('password', { required: 'Enter your password to sign.' })}
          />
        </Field>
        <FormError errors={errors} />
        <div className="actions">
          <button type="submit" data-testid="sign-confirm" disabled={isSubmitting}>
            {isSubmitting ? 'Signing…' : 'Sign'}
          </button>
          <button type="button" className="secondary" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
