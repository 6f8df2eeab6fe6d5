import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';

interface ForgotValues {
  email: string;
}

/**
 * The public page behind "Forgot password?": asks for a reset link by
 * e-mail. The server answers the same for every address, so this page
 * says the same too.
 */
export default function ForgotPasswordPage() {
  const [sent, setSent] = useState<string | null>(null);
  const form = useForm<ForgotValues>({ defaultValues: { email: '' } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (v) => {
    try {
      const out = unwrap(await api.POST('/auth/password/forgot', { body: { email: v.email.trim() } }));
      setSent(out.message);
    } catch (err) {
      applyServerErrors(err, form.setError, ['email']);
    }
  });

  return (
    <main className="login">
      <div className="login-card">
        <h1>SPECTRA-Lab</h1>
        <p className="muted">Reset your password.</p>
        {sent ? (
          <div className="alert alert-info" role="status" data-testid="forgot-sent">
            {sent} The link works once, for 30 minutes.
          </div>
        ) : (
          <form noValidate onSubmit={submit} data-testid="forgot-form">
            <Field label="Email" error={errors.email} hint="We send a link to choose a new password.">
              <input
                type="email"
                autoComplete="username"
                autoFocus
                data-testid="forgot-email"
                {...form.register('email', { required: 'Enter your email.' })}
              />
            </Field>
            <FormError errors={errors} />
            <button type="submit" data-testid="forgot-submit" disabled={isSubmitting}>
              {isSubmitting ? 'Sending…' : 'Send the link'}
            </button>
          </form>
        )}
        <p>
          <Link to="/login">Back to sign in</Link>
        </p>
      </div>
    </main>
  );
}
