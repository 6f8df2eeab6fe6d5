import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { createApi } from '../../api/client';
import { AuthProvider } from '../../auth/AuthProvider';
import { startFakeServer, type FakeServer } from '../../test/fakeServer';
import PasswordPage from './PasswordPage';

// The page calls the app's client ($api); here that client talks to the
// fake server, whose POST /auth/password takes the current password "right".
const mock = vi.hoisted(() => ({ client: null as ReturnType<typeof createApi> | null }));
vi.mock('../../api/client', async (original) => {
  const real = await original<typeof import('../../api/client')>();
  const proxy = <K extends 'fetchClient' | '$api' | 'session'>(key: K) =>
    new Proxy({}, { get: (_, prop) => Reflect.get(mock.client?.[key] ?? {}, prop) }) as ReturnType<typeof createApi>[K];
  return { ...real, api: proxy('fetchClient'), $api: proxy('$api'), session: proxy('session') };
});

let server: FakeServer;
let ended: ReturnType<typeof vi.fn<() => void>>;

beforeEach(async () => {
  server = await startFakeServer();
  const { createApi: make } = await vi.importActual<typeof import('../../api/client')>('../../api/client');
  mock.client = make({ baseUrl: server.url });
  ended = vi.fn<() => void>();
  mock.client.session.onEnd(ended);
});
afterEach(() => server.close());

function open() {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthProvider client={mock.client ?? undefined}>
        <MemoryRouter>
          <PasswordPage />
        </MemoryRouter>
      </AuthProvider>
    </QueryClientProvider>,
  );
}

async function fill(current: string, next: string, confirm = next) {
  const user = userEvent.setup();
  await user.clear(screen.getByTestId('current-password'));
  await user.type(screen.getByTestId('current-password'), current);
  await user.clear(screen.getByTestId('new-password'));
  await user.type(screen.getByTestId('new-password'), next);
  await user.clear(screen.getByTestId('confirm-password'));
  await user.type(screen.getByTestId('confirm-password'), confirm);
  await user.click(screen.getByTestId('change-password'));
}

const changes = () => server.hits.filter((h) => h.path === '/auth/password');

describe('PasswordPage', () => {
  it('checks the length and the repetition before sending anything', async () => {
    open();
    await fill('right', 'short', 'other');
    expect(await screen.findByText('At least 8 characters.', { selector: '.field-error' })).toBeTruthy();
    expect(screen.getByText('The two new passwords differ.')).toBeTruthy();
    expect(changes()).toHaveLength(0);
  });

  it('shows a wrong current password at that field, and the session goes on', async () => {
    open();
    await waitFor(() => expect(mock.client?.session.token()).toBeTruthy());
    await fill('wrong', 'a-new-password');
    expect(await screen.findByText('not your password')).toBeTruthy();
    expect(screen.getByTestId('current-password').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('form-error')).toBeNull();
    expect(ended).not.toHaveBeenCalled();
    expect(changes()).toHaveLength(1);
  });

  it('says the other sessions were ended once the change is made', async () => {
    open();
    await waitFor(() => expect(mock.client?.session.token()).toBeTruthy());
    await fill('right', 'a-new-password');
    expect((await screen.findByTestId('password-changed')).textContent).toMatch(/other sessions .* were ended; this one continues/);
    expect(JSON.parse(changes()[0]?.body ?? '{}')).toEqual({ current_password: 'right', new_password: 'a-new-password' });
    expect((screen.getByTestId('current-password') as HTMLInputElement).value).toBe('');
  });
});
