import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { $api } from '../../api/client';
import { useAuth } from '../../auth/context';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';

interface PasswordValues {
  current_password: string;
  new_password: string;
  confirm: string;
}

const MIN_LENGTH = 8; // the server's too (POST /auth/password: new_password minLength)

/** Changing one's own password (POST /auth/password); every other session of the person ends. */
export default function PasswordPage() {
  const { me } = useAuth();
  const [changed, setChanged] = useState(false);
  const form = useForm<PasswordValues>({ defaultValues: { current_password: '', new_password: '', confirm: '' } });
  const { errors, isSubmitting } = form.formState;
  const change = $api.useMutation('post', '/auth/password');

  const submit = form.handleSubmit(async (v) => {
    setChanged(false);
    try {
      await change.mutateAsync({ body: { current_password: v.current_password, new_password: v.new_password } });
      form.reset();
      setChanged(true);
    } catch (err) {
      applyServerErrors(err, form.setError, ['current_password', 'new_password']);
    }
  });

  return (
    <section className="page">
      <div className="page-head">
        <h1>Change password</h1>
      </div>
      {me && <p className="muted">For {me.user.email}, in every organization you belong to.</p>}
      {changed && (
        <div className="alert alert-info" role="status" data-testid="password-changed">
          Your password is changed. Your other sessions — other browsers and devices — were ended; this one continues.
        </div>
      )}
      <form className="card form" onSubmit={submit} noValidate data-testid="password-form">
        <div className="form-grid">
          <Field label="Current password" error={errors.current_password}>
            <input
              type="password"
              autoComplete="current-password"
              data-testid="current-password"
              {...form.register('current_password', { required: 'Enter your current password.' })}
            />
          </Field>
          <Field label="New password" error={errors.new_password} hint={`At least ${MIN_LENGTH} characters.`}>
            <input
              type="password"
              autoComplete="new-password"
              data-testid="new-password"
              {...form.register('new_password', {
                required: 'Choose a new password.',
                minLength: { value: MIN_LENGTH, message: `At least ${MIN_LENGTH} characters.` },
              })}
            />
          </Field>
          <Field label="Repeat the new password" error={errors.confirm}>
            <input
              type="password"
              autoComplete="new-password"
              data-testid="confirm-password"
              {...form.register('confirm', {
                validate: (value, all) => value === all.new_password || 'The two new passwords differ.',
              })}
            />
          </Field>
        </div>
        <FormError errors={errors} />
        <div className="actions">
          <button type="submit" data-testid="change-password" disabled={isSubmitting}>
            {isSubmitting ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
