// The link an admin passes to the person they invited. The token rides in
// the URL fragment (#token=…), which the browser never sends to the server,
// so it stays out of access logs and Referer headers.

/** The accept page, as the router knows it (outside the session guard). */
export const ACCEPT_PATH = '/invitations/accept';

/** `${origin}/invitations/accept#token=<token>` */
export function acceptLink(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, '')}${ACCEPT_PATH}#${new URLSearchParams({ token }).toString()}`;
}

/**
 * The token in a location's fragment ("#token=sin_…"), or '' when there is
 * none. Tolerates a missing '#', other parameters, and surrounding spaces
 * left by copying the link out of a message.
 */
export function tokenFromHash(hash: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  return (params.get('token') ?? '').trim();
}
