// A tiny real HTTP server speaking just enough of the SPECTRA API for the
// client's tests: tokens it issued are valid until the test expires them,
// /auth/refresh issues a new one (slowly, so concurrent callers overlap).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeServer {
  url: string;
  /** Issues a token the server accepts. */
  issue(): string;
  /** Makes every token issued so far invalid (as if it expired). */
  expireAll(): void;
  /** Whether /auth/refresh succeeds. */
  refreshWorks: boolean;
  /** Whether /auth/refresh issues tokens the API then accepts. */
  refreshIssuesValid: boolean;
  permissions: string[];
  hits: { path: string; method: string; auth: string; body: string }[];
  refreshes: number;
  /** The bodies POST /auth/invitations/accept received. */
  accepted: { token: string; name?: string | undefined }[];
  /** The most /auth/refresh requests the server was answering at once. */
  maxConcurrentRefreshes: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => resolve(b));
  });
}

export async function startFakeServer(): Promise<FakeServer> {
  let n = 0;
  let refreshing = 0;
  const valid = new Set<string>();
  const fake = {
    url: '',
    refreshWorks: true,
    refreshIssuesValid: true,
    permissions: ['profile.read', 'sample.read'],
    hits: [] as FakeServer['hits'],
    refreshes: 0,
    accepted: [] as FakeServer['accepted'],
    maxConcurrentRefreshes: 0,
    issue() {
      const t = `tok-${++n}`;
      valid.add(t);
      return t;
    },
    expireAll() {
      valid.clear();
    },
    close: async () => {},
  } satisfies FakeServer;

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const auth = req.headers.authorization ?? '';
    fake.hits.push({ path, method: req.method ?? '', auth, body });
    const json = (status: number, v: unknown, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(JSON.stringify(v));
    };
    const problem = (status: number, detail: string) =>
      json(status, { type: 'about:blank', title: 'Unauthorized', status, code: 'unauthenticated', detail }, 'application/problem+json');

    if (path === '/auth/refresh') {
      fake.refreshes++;
      fake.maxConcurrentRefreshes = Math.max(fake.maxConcurrentRefreshes, ++refreshing);
      await new Promise((r) => setTimeout(r, 40));
      refreshing--;
      if (!fake.refreshWorks) return problem(401, 'refresh token invalid');
      const t = fake.refreshIssuesValid ? fake.issue() : `bogus-${++n}`;
      return json(200, { access_token: t, refresh_token: 'r', token_type: 'bearer', expires_in: 60 });
    }
    if (path === '/auth/login') return problem(401, 'wrong username or password');
    if (path === '/auth/invitations/accept') {
      // sin_good accepts the password "right" (an account) or any new one
      // of 8 characters or more given with a name (a new account).
      const a = JSON.parse(body || '{}') as { token?: string; password?: string; name?: string };
      fake.accepted.push({ token: a.token ?? '', name: a.name });
      if (a.token === 'sin_good' && a.name && (a.password ?? '').length < 8) {
        return json(
          422,
          { type: 'about:blank', title: 'Unprocessable Entity', status: 422, code: 'invalid', detail: 'choose a password of at least 8 characters', errors: [{ field: 'password', message: 'at least 8 characters' }] },
          'application/problem+json',
        );
      }
      if (a.token === 'sin_good' && (a.password === 'right' || a.name)) {
        return json(200, { access_token: fake.issue(), refresh_token: 'r', token_type: 'bearer', expires_in: 60 });
      }
      return problem(401, 'this invitation cannot be accepted');
    }
    const token = auth.replace(/^Bearer /, '');
    if (!valid.has(token)) return problem(401, 'token expired');
    if (path === '/auth/me') {
      return json(200, {
        user: { id: 'u1', email: 'a@b.c', name: 'Ada', role: 'technician', organization: { id: 'o1', slug: 'lab', name: 'Lab' } },
        organization: { id: 'o1', slug: 'lab', name: 'Lab' },
        role: 'technician',
        auth: 'password',
        permissions: fake.permissions,
        memberships: [],
      });
    }
    if (path === '/api/lims/eln/e1/sign') {
      const signed = JSON.parse(body || '{}') as { password?: string };
      if (signed.password === 'right') return json(201, { meaning: 'authored' });
      return json(
        401,
        { type: 'about:blank', title: 'Unauthorized', status: 401, code: 'unauthenticated', detail: 'the password is not right', errors: [{ field: 'password', message: 'not your password' }] },
        'application/problem+json',
      );
    }
    if (path === '/auth/password') {
      const change = JSON.parse(body || '{}') as { current_password?: string };
      if (change.current_password === 'right') {
        res.writeHead(204);
        return res.end();
      }
      return json(
        401,
        { type: 'about:blank', title: 'Unauthorized', status: 401, code: 'unauthenticated', detail: 'the current password is not right', errors: [{ field: 'current_password', message: 'not your password' }] },
        'application/problem+json',
      );
    }
    if (path === '/api/lims/samples' && req.method === 'POST') return json(201, { echoed: JSON.parse(body || 'null') });
    if (path === '/api/lims/samples') return json(200, { items: [], next_cursor: null });
    return problem(404, 'no such path');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}
