import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../../api/client';
import { AuthProvider } from '../../auth/AuthProvider';
import { useAuth } from '../../auth/context';
import { startFakeServer, type FakeServer } from '../../test/fakeServer';
import AcceptInvitationPage, { NOT_ACCEPTED } from './AcceptInvitationPage';
import { ACCEPT_PATH } from './link';

let server: FakeServer;
let client: ReturnType<typeof createApi>;

beforeEach(async () => {
  server = await startFakeServer();
  server.refreshWorks = false; // nobody is signed in
  client = createApi({ baseUrl: server.url });
});
afterEach(() => server.close());

function Home() {
  const { me } = useAuth();
  return <p data-testid="home">signed in as {me?.user.name}</p>;
}

function open(url: string) {
  const router = createMemoryRouter(
    [
      { path: ACCEPT_PATH, element: <AcceptInvitationPage /> },
      { path: '/', element: <Home /> },
    ],
    { initialEntries: [url] },
  );
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthProvider client={client}>
        <RouterProvider router={router} />
      </AuthProvider>
    </QueryClientProvider>,
  );
  return router;
}

// Enabled once the page-load session check (no session here) is over.
async function ready() {
  await waitFor(() => expect(screen.getByTestId('accept-invitation').hasAttribute('disabled')).toBe(false));
}

describe('AcceptInvitationPage', () => {
  it('takes the token from the link’s fragment, and a wrong password gets the invitation’s own message', async () => {
    open(`${ACCEPT_PATH}#token=sin_good`);
    await ready();
    expect(screen.queryByTestId('accept-token')).toBeNull(); // no need to ask for it
    await userEvent.type(screen.getByTestId('accept-password'), 'wrong');
    await userEvent.click(screen.getByTestId('accept-invitation'));
    expect((await screen.findByTestId('form-error')).textContent).toBe(NOT_ACCEPTED);
    expect(server.accepted).toEqual([{ token: 'sin_good' }]); // no name sent when none given
    expect(server.refreshes).toBe(1); // the page-load one only: a 401 here is no expired session
  });

  it('makes a new account with a name and enters the app like a login', async () => {
    const router = open(`${ACCEPT_PATH}#token=sin_good`);
    await ready();
    await userEvent.type(screen.getByTestId('accept-name'), 'Grace');
    await userEvent.type(screen.getByTestId('accept-password'), 'short');
    await userEvent.click(screen.getByTestId('accept-invitation'));
    // The server's 422 lands at the password field.
    expect(await screen.findByText('at least 8 characters')).toBeTruthy();
    expect(screen.getByTestId('accept-password').getAttribute('aria-invalid')).toBe('true');
    await userEvent.clear(screen.getByTestId('accept-password'));
    await userEvent.type(screen.getByTestId('accept-password'), 'long-enough');
    await userEvent.click(screen.getByTestId('accept-invitation'));
    expect((await screen.findByTestId('home')).textContent).toBe('signed in as Ada'); // the fake's /auth/me
    expect(router.state.location.pathname).toBe('/');
    expect(client.session.token()).toMatch(/^tok-/);
    expect(server.accepted.at(-1)).toEqual({ token: 'sin_good', name: 'Grace' });
  });

  it('asks for the token when the link had none', async () => {
    open(ACCEPT_PATH);
    await ready();
    await userEvent.type(screen.getByTestId('accept-password'), 'right');
    await userEvent.click(screen.getByTestId('accept-invitation'));
    expect(await screen.findByText('Enter the token you were given.')).toBeTruthy();
    expect(server.accepted).toEqual([]);
    await userEvent.type(screen.getByTestId('accept-token'), ' sin_good ');
    await userEvent.click(screen.getByTestId('accept-invitation'));
    expect(await screen.findByTestId('home')).toBeTruthy();
    expect(server.accepted).toEqual([{ token: 'sin_good' }]);
  });
});
