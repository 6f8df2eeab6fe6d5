// The one API client. Types come from schema.d.ts, generated from the
// server's OpenAPI document (npm run gen:api). The access token lives here,
// in memory only; the refresh token is the HttpOnly cookie the server sets,
// which no script can read.
import createFetchClient from 'openapi-fetch';
import createQueryHooks from 'openapi-react-query';
import type { paths } from './schema';

export interface ApiOptions {
  /** Prefix of every URL; '' in the browser (same origin). */
  baseUrl?: string;
  /** The fetch to send requests with; tests pass their own. */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Runs fn holding the lock called name, across every tab of the origin.
   * Default: the Web Locks API where the browser has it. Refreshes hold
   * it: the server rotates the refresh cookie on each use and ends the
   * whole session when an old one comes back, so two tabs that refresh at
   * once (both opened together, say) must take turns — the second then
   * sends the cookie the first one just got.
   */
  lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

function webLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? (locks.request(name, fn) as Promise<T>) : fn();
}

/** The session the client keeps: the access token and its refresh. */
export interface Session {
  token(): string | null;
  setToken(token: string | null): void;
  /**
   * Trades the refresh cookie for a new access token. Concurrent callers
   * share one request: the server rotates the cookie on every use and
   * treats a second use of the old one as theft, ending the session.
   */
  refresh(): Promise<boolean>;
  /** Calls listener when a request found the session over (refresh failed). */
  onEnd(listener: () => void): () => void;
}

// 401s from these mean "wrong credentials", not "token expired".
const noRetry = ['/auth/login', '/auth/refresh', '/auth/invitations/accept', '/auth/password/forgot', '/auth/password/reset'];

// A 401 naming the field password answers a password re-entered to sign
// (e-signature, approval), and one naming current_password a password
// change (POST /auth/password): that password was wrong, the session is fine.
const passwordFields = new Set(['password', 'current_password']);
async function wrongPassword(res: Response): Promise<boolean> {
  try {
    const body = (await res.clone().json()) as { errors?: { field?: string }[] | null };
    return body.errors?.some((e) => passwordFields.has(e.field ?? '')) ?? false;
  } catch {
    return false;
  }
}

export function createApi(options: ApiOptions = {}) {
  const baseUrl = options.baseUrl ?? '';
  const send = options.fetch ?? ((r: Request) => globalThis.fetch(r));
  const lock = options.lock ?? webLock;
  let token: string | null = null;
  let inflight: Promise<boolean> | null = null;
  const listeners = new Set<() => void>();

  async function refreshNow(): Promise<boolean> {
    try {
      const res = await send(
        new Request(`${baseUrl}/auth/refresh`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
          credentials: 'same-origin',
        }),
      );
      if (!res.ok) return false;
      const body = (await res.json()) as { access_token?: string };
      if (!body.access_token) return false;
      token = body.access_token;
      return true;
    } catch {
      return false;
    }
  }

  const session: Session = {
    token: () => token,
    setToken: (t) => {
      token = t;
    },
    refresh() {
      inflight ??= lock('spectra-refresh', refreshNow).finally(() => {
        inflight = null;
      });
      return inflight;
    },
    onEnd(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  function end() {
    token = null;
    for (const l of [...listeners]) l();
  }

  // Sends the request with the access token; after a 401 it refreshes once
  // (or picks up the token another request's refresh just got) and sends
  // the request again, exactly once.
  async function authFetch(request: Request): Promise<Response> {
    const retry = request.clone(); // before sending consumes the body
    const used = token;
    if (used) request.headers.set('Authorization', `Bearer ${used}`);
    const res = await send(request);
    const path = new URL(request.url, 'http://x').pathname;
    if (res.status !== 401 || used === null || noRetry.includes(path) || (await wrongPassword(res))) return res;
    const fresh = token !== used && token !== null ? true : await session.refresh();
    if (!fresh || token === null) {
      end();
      return res;
    }
    retry.headers.set('Authorization', `Bearer ${token}`);
    const again = await send(retry);
    if (again.status === 401) end(); // a brand-new token refused: the user is gone
    return again;
  }

  const fetchClient = createFetchClient<paths>({ baseUrl, fetch: authFetch });
  const $api = createQueryHooks(fetchClient);
  return { fetchClient, $api, session };
}

/** The app's client: `api` for imperative calls, `$api` for React Query hooks. */
export const { fetchClient: api, $api, session } = createApi();
