import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../api/client';
import { startFakeServer, type FakeServer } from '../test/fakeServer';
import { AuthProvider } from './AuthProvider';
import { RoleGuard } from './RoleGuard';
import { SESSION_ENDED, useAuth, useCan } from './context';

let server: FakeServer;
let client: ReturnType<typeof createApi>;

beforeEach(async () => {
  server = await startFakeServer();
  client = createApi({ baseUrl: server.url });
});
afterEach(() => server.close());

function Providers({ children }: { children: ReactNode }) {
  return (
    <QueryClientProvider client={new QueryClient()}>
      <AuthProvider client={client}>{children}</AuthProvider>
    </QueryClientProvider>
  );
}

function Status() {
  const { state } = useAuth();
  const can = useCan();
  return (
    <p data-testid="status">
      {state.status}
      {state.status === 'anonymous' && state.message ? `: ${state.message}` : ''}
      {state.status === 'authenticated' ? ` can-approve=${can('recipe.approve')}` : ''}
    </p>
  );
}

function Page() {
  return (
    <>
      <Status />
      <RoleGuard permission="custody.create">
        <button>Record custody event</button>
      </RoleGuard>
      <RoleGuard permission="sample.create" fallback={<span>read only</span>}>
        <button>New sample</button>
      </RoleGuard>
    </>
  );
}

describe('RoleGuard and can()', () => {
  it('show exactly what the permissions from /auth/me allow, once the session is restored', async () => {
    server.permissions = ['profile.read', 'sample.read', 'custody.create'];
    render(<Page />, { wrapper: Providers });
    // Before /auth/me answers, nothing guarded shows.
    expect(screen.queryByRole('button')).toBeNull();
    expect(await screen.findByText('authenticated can-approve=false')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Record custody event' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'New sample' })).toBeNull();
    expect(screen.getByText('read only')).toBeTruthy();
    expect(server.refreshes).toBe(1); // the page-load refresh
  });

  it('a role with the permission sees the action', async () => {
    server.permissions = ['profile.read', 'sample.read', 'sample.create', 'custody.create', 'recipe.approve'];
    render(<Page />, { wrapper: Providers });
    expect(await screen.findByText('authenticated can-approve=true')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'New sample' })).toBeTruthy();
    expect(screen.queryByText('read only')).toBeNull();
  });

  it('without a session nothing guarded shows', async () => {
    server.refreshWorks = false;
    render(<Page />, { wrapper: Providers });
    expect(await screen.findByText('anonymous')).toBeTruthy();
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByText('read only')).toBeTruthy();
  });

  it('when a request finds the session over, the provider signs out with a message', async () => {
    server.permissions = ['profile.read', 'sample.read', 'custody.create'];
    render(<Page />, { wrapper: Providers });
    await screen.findByText('authenticated can-approve=false');
    server.expireAll();
    server.refreshWorks = false;
    await act(async () => {
      await client.fetchClient.GET('/api/lims/samples');
    });
    expect(screen.getByTestId('status').textContent).toBe(`anonymous: ${SESSION_ENDED}`);
    expect(screen.queryByRole('button', { name: 'Record custody event' })).toBeNull();
  });
});
