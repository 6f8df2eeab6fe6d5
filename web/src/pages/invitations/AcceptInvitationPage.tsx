import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { useLocation, useNavigate } from 'react-router';
import { toProblem } from '../../api/problem';
import { useAuth } from '../../auth/context';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';
import { tokenFromHash } from './link';

interface AcceptValues {
  token: string;
  name: string;
  password: string;
}

/** What the server's 401 means here: the password, or the invitation itself (used, withdrawn, expired, mistyped). */
export const NOT_ACCEPTED = 'This invitation cannot be accepted with this password (or it is no longer valid).';

/**
 * The public page an invitation link opens (/invitations/accept#token=…):
 * the person gives their account's password, or a name and a new password
 * for the account it makes, and enters the app as on the login page.
 */
export default function AcceptInvitationPage() {
  const { state, me, acceptInvitation } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const [fromLink] = useState(() => tokenFromHash(location.hash));
  const form = useForm<AcceptValues>({ defaultValues: { token: fromLink, name: '', password: '' } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (v) => {
    try {
      await acceptInvitation(v.token.trim(), v.password, v.name.trim() || undefined);
      navigate('/', { replace: true });
    } catch (err) {
      if (toProblem(err).status === 401) form.setError('root.server', { type: '401', message: NOT_ACCEPTED });
      else applyServerErrors(err, form.setError, fromLink ? ['name', 'password'] : ['token', 'name', 'password']);
    }
  });

  return (
    <main className="login">
      <div className="login-card">
        <h1>SPECTRA-Lab</h1>
        <p className="muted">Accept your invitation to a laboratory.</p>
        {state.status === 'authenticated' && me && (
          <div className="alert alert-info" role="status" data-testid="accept-signed-in">
            You are signed in as {me.user.email}. Accepting this invitation signs you in as the person it was sent to.
          </div>
        )}
        <form noValidate onSubmit={submit} data-testid="accept-form">
          {!fromLink && (
            <Field label="Invitation token" error={errors.token} hint="The token you were given, starting with sin_.">
              <input autoComplete="off" data-testid="accept-token" {...form.register('token', { required: 'Enter the token you were given.' })} />
            </Field>
          )}
          <Field label="Your name" error={errors.name} hint="For a new account. Leave it empty if this e-mail already has one.">
            <input autoComplete="name" data-testid="accept-name" {...form.register('name')} />
          </Field>
          <Field
            label="Password"
            error={errors.password}
            hint="Your account’s password if this e-mail already has one; otherwise choose one of at least 8 characters."
          >
            <input
              type="password"
              autoComplete="current-password"
              data-testid="accept-password"
              {...form.register('password', { required: 'Enter a password.' })}
            />
          </Field>
          <FormError errors={errors} />
          <button type="submit" data-testid="accept-invitation" disabled={isSubmitting || state.status === 'loading'}>
            {isSubmitting ? 'Accepting…' : 'Accept and sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
