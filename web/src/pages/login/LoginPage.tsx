import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, Navigate, useSearchParams } from 'react-router';
import { authQueries } from '../../api/queries';
import { safeNext } from '../../auth/RequireAuth';
import { useAuth } from '../../auth/context';
import { Field } from '../../components/Field';
import { ProblemMessage } from '../../components/ProblemMessage';
import { ssoFailureMessage } from './ssoFailure';

interface LoginForm {
  username: string;
  password: string;
}

export default function LoginPage() {
  const { state, login } = useAuth();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const ssoFailure = ssoFailureMessage(params);
  const [error, setError] = useState<unknown>(null);
  const form = useForm<LoginForm>({ defaultValues: { username: '', password: '' } });
  const { errors, isSubmitting } = form.formState;
  const config = useQuery({ ...authQueries.config(), staleTime: Infinity });

  if (state.status === 'authenticated') return <Navigate to={next} replace />;

  const passwordLogin = config.data?.password_login ?? true;
  const sso = config.data?.oidc ?? false;

  return (
    <main className="login">
      <div className="login-card">
        <h1>SPECTRA-Lab</h1>
        <p className="muted">Sign in to your laboratory.</p>
        {state.status === 'anonymous' && state.message && (
          <div className="alert alert-info" role="status" data-testid="session-message">
            {state.message}
          </div>
        )}
        {ssoFailure && (
          <div className="alert alert-error" role="alert" data-testid="sso-failure">
            <strong>Single sign-on failed.</strong> {ssoFailure}
          </div>
        )}
        {passwordLogin && (
          <form
            noValidate
            onSubmit={form.handleSubmit(async (v) => {
              setError(null);
              try {
                await login(v.username.trim(), v.password);
              } catch (err) {
                setError(err);
              }
            })}
          >
            <Field label="Email" error={errors.username}>
              <input
                type="email"
                autoComplete="username"
                autoFocus
                data-testid="username"
                {...form.register('username', { required: 'Enter your email.' })}
              />
            </Field>
            <Field label="Password" error={errors.password}>
              <input
                type="password"
                autoComplete="current-password"
                data-testid="password"
                {...form.register('password', { required: 'Enter your password.' })}
              />
            </Field>
            {error !== null && <ProblemMessage error={error} title="Sign-in failed" />}
            <button type="submit" data-testid="submit" disabled={isSubmitting || state.status === 'loading'}>
              {isSubmitting ? 'Signing in…' : 'Sign in'}
            </button>
            <p>
              <Link to="/forgot-password" data-testid="forgot-link">
                Forgot password?
              </Link>
            </p>
          </form>
        )}
        {sso && (
          <p className="sso">
            <a className="button secondary" href={`/auth/oidc/login?return_to=${encodeURIComponent(next)}`} data-testid="sso">
              Sign in with SSO
            </a>
          </p>
        )}
      </div>
    </main>
  );
}
