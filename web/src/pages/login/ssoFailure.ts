// Why single sign-on failed. The server's callback sends the browser to
// /login?error=sso_failed&reason=<code> (internal/httpapi/oidc.go lists the
// codes); the error itself stays in the server's log.

const messages: Record<string, string> = {
  state_mismatch:
    'The sign-in took too long or was started in another tab. Please sign in again.',
  provider_error: 'Your identity provider refused the sign-in. Please try again, or ask your administrator.',
  provider_unavailable: 'Your identity provider could not be reached. Please try again in a moment.',
  token_invalid: 'Your identity provider’s answer could not be verified. Ask your administrator to check the single sign-on settings.',
  no_organization:
    'Your account at the identity provider is not assigned to a laboratory here. Ask your administrator to grant you access.',
  no_role: 'Your account at the identity provider has no role in this laboratory. Ask your administrator to grant you one.',
  account_refused:
    'Your account cannot be signed in here: the laboratory is unknown, your membership is deactivated, or your email belongs to another account. Ask your administrator.',
};

const fallback = 'Something went wrong. Please try again, or ask your administrator.';

/** The message for a failed single sign-on, or null when the URL reports none. */
export function ssoFailureMessage(params: URLSearchParams): string | null {
  if (params.get('error') !== 'sso_failed') return null;
  const reason = params.get('reason') ?? '';
  return Object.hasOwn(messages, reason) ? (messages[reason] ?? fallback) : fallback;
}

/** Every reason code the server sends, for tests. */
export const ssoFailureReasons = Object.keys(messages);
