// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeServer, type FakeServer } from '../test/fakeServer';
import { createApi } from './client';

let server: FakeServer;
let client: ReturnType<typeof createApi>;
let ended: ReturnType<typeof vi.fn<() => void>>;

beforeEach(async () => {
  server = await startFakeServer();
  client = createApi({ baseUrl: server.url });
  ended = vi.fn<() => void>();
  client.session.onEnd(ended);
});
afterEach(() => server.close());

const resourceHits = () => server.hits.filter((h) => h.path.startsWith('/api/'));

describe('API client', () => {
  it('sends the in-memory token and does not refresh while it is valid', async () => {
    const t = server.issue();
    client.session.setToken(t);
    const res = await client.fetchClient.GET('/api/lims/samples');
    expect(res.response.status).toBe(200);
    expect(resourceHits()).toEqual([expect.objectContaining({ auth: `Bearer ${t}` })]);
    expect(server.refreshes).toBe(0);
  });

  it('after a 401 refreshes once and repeats the request, body included, with the new token', async () => {
    const old = server.issue();
    client.session.setToken(old);
    server.expireAll();
    const res = await client.fetchClient.POST('/api/lims/samples', { body: { barcode: 'B-1', name: 'n' } });
    expect(res.response.status).toBe(201);
    expect(res.data).toEqual({ echoed: { barcode: 'B-1', name: 'n' } });
    expect(server.refreshes).toBe(1);
    const hits = resourceHits();
    expect(hits).toHaveLength(2);
    expect(hits[0]?.auth).toBe(`Bearer ${old}`);
    expect(hits[1]?.auth).toBe(`Bearer ${client.session.token()}`);
    expect(hits[1]?.body).toBe(hits[0]?.body);
    expect(client.session.token()).not.toBe(old);
    expect(ended).not.toHaveBeenCalled();
  });

  it('concurrent 401s share one refresh', async () => {
    client.session.setToken(server.issue());
    server.expireAll();
    const results = await Promise.all(Array.from({ length: 5 }, () => client.fetchClient.GET('/api/lims/samples')));
    expect(results.map((r) => r.response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(server.refreshes).toBe(1);
    // 5 refused, 5 repeated with the one new token.
    const fresh = `Bearer ${client.session.token()}`;
    expect(resourceHits().filter((h) => h.auth === fresh)).toHaveLength(5);
    expect(resourceHits()).toHaveLength(10);
  });

  it('a 401 after another request already refreshed reuses that token', async () => {
    const old = server.issue();
    client.session.setToken(old);
    server.expireAll();
    await client.fetchClient.GET('/api/lims/samples'); // refreshes
    expect(server.refreshes).toBe(1);
    // A request that was sent with the old token comes back refused now.
    client.session.setToken(old);
    const next = server.issue();
    client.session.setToken(next);
    server.expireAll();
    server.refreshWorks = false;
    const res = await client.fetchClient.GET('/api/lims/samples');
    expect(res.response.status).toBe(401);
    expect(server.refreshes).toBe(2); // its own token was current, so it had to try
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it('retries exactly once: a refused retry is final and ends the session', async () => {
    client.session.setToken(server.issue());
    server.expireAll();
    server.refreshIssuesValid = false; // the new token is refused too
    const res = await client.fetchClient.GET('/api/lims/samples');
    expect(res.response.status).toBe(401);
    expect(resourceHits()).toHaveLength(2);
    expect(server.refreshes).toBe(1);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(client.session.token()).toBeNull();
  });

  it('signs out when the refresh fails, once for concurrent requests', async () => {
    client.session.setToken(server.issue());
    server.expireAll();
    server.refreshWorks = false;
    const results = await Promise.all([client.fetchClient.GET('/api/lims/samples'), client.fetchClient.GET('/auth/me')]);
    expect(results.map((r) => r.response.status)).toEqual([401, 401]);
    expect(results[0]?.error).toMatchObject({ status: 401, detail: 'token expired' });
    expect(server.refreshes).toBe(1);
    expect(resourceHits()).toHaveLength(1); // nothing repeated
    expect(client.session.token()).toBeNull();
    expect(ended).toHaveBeenCalled();
  });

  it('does not refresh without a session, nor for a failed login', async () => {
    const anon = await client.fetchClient.GET('/api/lims/samples');
    expect(anon.response.status).toBe(401);
    client.session.setToken(server.issue());
    const login = await client.fetchClient.POST('/auth/login', { body: { username: 'a', password: 'b' } });
    expect(login.response.status).toBe(401);
    const accept = await client.fetchClient.POST('/auth/invitations/accept', { body: { token: 'sin_x', password: 'p' } });
    expect(accept.response.status).toBe(401);
    expect(server.refreshes).toBe(0);
    expect(ended).not.toHaveBeenCalled();
  });

  it('a wrong current password when changing it is the answer, not an expired session', async () => {
    const t = server.issue();
    client.session.setToken(t);
    const wrong = await client.fetchClient.POST('/auth/password', { body: { current_password: 'wrong', new_password: 'new-password' } });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error).toMatchObject({ errors: [{ field: 'current_password' }] });
    expect(server.refreshes).toBe(0);
    expect(server.hits.filter((h) => h.path === '/auth/password')).toHaveLength(1);
    expect(ended).not.toHaveBeenCalled();
    expect(client.session.token()).toBe(t);
    const ok = await client.fetchClient.POST('/auth/password', { body: { current_password: 'right', new_password: 'new-password' } });
    expect(ok.response.status).toBe(204);
  });

  it('a wrong password re-entered to sign is the answer, not an expired session', async () => {
    const t = server.issue();
    client.session.setToken(t);
    const wrong = await client.fetchClient.POST('/api/lims/eln/{id}/sign', {
      params: { path: { id: 'e1' } },
      body: { meaning: 'authored', password: 'wrong' },
    });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error).toMatchObject({ detail: 'the password is not right' });
    expect(server.refreshes).toBe(0);
    expect(resourceHits()).toHaveLength(1); // not sent twice: it counts as a failed login
    expect(ended).not.toHaveBeenCalled();
    expect(client.session.token()).toBe(t);
    // An expired token at the same endpoint still refreshes and repeats.
    server.expireAll();
    const ok = await client.fetchClient.POST('/api/lims/eln/{id}/sign', {
      params: { path: { id: 'e1' } },
      body: { meaning: 'authored', password: 'right' },
    });
    expect(ok.response.status).toBe(201);
    expect(server.refreshes).toBe(1);
    expect(ended).not.toHaveBeenCalled();
  });

  it('session.refresh() shares one request between callers and reports failure', async () => {
    const [a, b] = await Promise.all([client.session.refresh(), client.session.refresh()]);
    expect([a, b]).toEqual([true, true]);
    expect(server.refreshes).toBe(1);
    server.refreshWorks = false;
    expect(await client.session.refresh()).toBe(false);
    expect(server.refreshes).toBe(2);
  });
  it('two tabs refreshing at once take turns under the shared lock', async () => {
    // A mutex standing in for the browser's Web Locks, shared by two clients
    // as the tabs of one origin share navigator.locks.
    let tail: Promise<unknown> = Promise.resolve();
    const lock = <T,>(_name: string, fn: () => Promise<T>): Promise<T> => {
      const run = tail.then(fn, fn);
      tail = run.catch(() => undefined);
      return run;
    };
    const tab1 = createApi({ baseUrl: server.url, lock });
    const tab2 = createApi({ baseUrl: server.url, lock });
    expect(await Promise.all([tab1.session.refresh(), tab2.session.refresh()])).toEqual([true, true]);
    expect(server.refreshes).toBe(2);
    expect(server.maxConcurrentRefreshes).toBe(1);

    // Without a shared lock they overlap (what the server would punish).
    const free = <T,>(_name: string, fn: () => Promise<T>) => fn();
    const tab3 = createApi({ baseUrl: server.url, lock: free });
    const tab4 = createApi({ baseUrl: server.url, lock: free });
    await Promise.all([tab3.session.refresh(), tab4.session.refresh()]);
    expect(server.maxConcurrentRefreshes).toBe(2);
  });
});
