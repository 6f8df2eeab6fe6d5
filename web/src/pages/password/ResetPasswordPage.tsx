import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { toProblem, unwrap } from '../../api/problem';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';

interface ResetValues {
  password: string;
  confirm: string;
}

/** What the server's 401 means here: the link was used, superseded, expired or mistyped. */
export const LINK_INVALID = 'This reset link is no longer valid (used, replaced by a newer one, or expired). Ask for a new one.';

/**
 * The public page a reset link opens (/reset-password?token=…): choose a
 * new password; every session of the account ends, and one signs in
 * with the new password.
 */
export default function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [done, setDone] = useState(false);
  const form = useForm<ResetValues>({ defaultValues: { password: '', confirm: '' } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (v) => {
    try {
      unwrap(await api.POST('/auth/password/reset', { body: { token, password: v.password } }));
      setDone(true);
    } catch (err) {
      if (toProblem(err).status === 401) form.setError('root.server', { type: '401', message: LINK_INVALID });
      else applyServerErrors(err, form.setError, ['password']);
    }
  });

  return (
    <main className="login">
      <div className="login-card">
        <h1>SPECTRA-Lab</h1>
        <p className="muted">Choose a new password.</p>
        {done ? (
          <div className="alert alert-info" role="status" data-testid="reset-done">
            Your password is changed and your other sessions have ended. <Link to="/login">Sign in</Link> with the new password.
          </div>
        ) : !token ? (
          <div className="alert alert-error" role="alert" data-testid="reset-no-token">
            This page needs the link from the e-mail. <Link to="/forgot-password">Ask for one</Link>.
          </div>
        ) : (
          <form noValidate onSubmit={submit} data-testid="reset-form">
            <Field label="New password" error={errors.password} hint="At least 8 characters.">
              <input
                type="password"
                autoComplete="new-password"
                autoFocus
                data-testid="reset-password"
                {...form.register('password', {
                  required: 'Choose a password.',
                  minLength: { value: 8, message: 'At least 8 characters.' },
                })}
              />
            </Field>
            <Field label="Repeat it" error={errors.confirm}>
              <input
                type="password"
                autoComplete="new-password"
                data-testid="reset-confirm"
                {...form.register('confirm', {
                  validate: (c, all) => c === all.password || 'The two passwords differ.',
                })}
              />
            </Field>
            <FormError errors={errors} />
            <button type="submit" data-testid="reset-submit" disabled={isSubmitting}>
              {isSubmitting ? 'Saving…' : 'Set the password'}
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
