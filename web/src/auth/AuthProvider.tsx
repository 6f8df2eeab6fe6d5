import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api as defaultApi, createApi, session as defaultSession } from '../api/client';
import { unwrap } from '../api/problem';
import type { Me } from '../api/types';
import { AuthContext, SESSION_ENDED, type Auth, type AuthState } from './context';

/**
 * Holds who is signed in. On load it trades the refresh cookie for an
 * access token (POST /auth/refresh), so a reload keeps the session; the
 * permissions come from GET /auth/me.
 */
export function AuthProvider({ children, client }: { children: ReactNode; client?: ReturnType<typeof createApi> }) {
  const api = client?.fetchClient ?? defaultApi;
  const session = client?.session ?? defaultSession;
  const queryClient = useQueryClient();
  const [state, setState] = useState<AuthState>({ status: 'loading' });

  const loadMe = useCallback(async () => {
    const me = unwrap(await api.GET('/auth/me'));
    setState({ status: 'authenticated', me });
  }, [api]);

  useEffect(() => {
    let live = true;
    void (async () => {
      const ok = await session.refresh();
      if (!live) return;
      if (!ok) {
        setState((s) => (s.status === 'loading' ? { status: 'anonymous' } : s));
        return;
      }
      try {
        await loadMe();
      } catch {
        if (live) setState({ status: 'anonymous' });
      }
    })();
    return () => {
      live = false;
    };
  }, [session, loadMe]);

  useEffect(
    () =>
      session.onEnd(() => {
        queryClient.clear();
        setState({ status: 'anonymous', message: SESSION_ENDED });
      }),
    [session, queryClient],
  );

  // Enters the app from a session answer (login, an accepted invitation,
  // a switch of organization): the server set the refresh cookie; the
  // access token stays in memory; nothing cached from before is kept.
  const begin = useCallback(
    async (data: { access_token: string }) => {
      session.setToken(data.access_token);
      queryClient.clear();
      await loadMe();
    },
    [session, queryClient, loadMe],
  );

  const login = useCallback(
    async (username: string, password: string, organization?: string) => {
      await begin(unwrap(await api.POST('/auth/login', { body: { username, password, organization } })));
    },
    [api, begin],
  );

  const acceptInvitation = useCallback(
    async (token: string, password: string, name?: string) => {
      await begin(unwrap(await api.POST('/auth/invitations/accept', { body: { token, password, name: name || undefined } })));
    },
    [api, begin],
  );

  const logout = useCallback(async () => {
    try {
      await api.POST('/auth/logout');
    } finally {
      session.setToken(null);
      queryClient.clear();
      setState({ status: 'anonymous' });
    }
  }, [api, session, queryClient]);

  const switchOrg = useCallback(
    async (slug: string) => {
      await begin(unwrap(await api.POST('/auth/switch-org', { body: { organization: slug } })));
    },
    [api, begin],
  );

  const value = useMemo<Auth>(() => {
    const me: Me | null = state.status === 'authenticated' ? state.me : null;
    const perms = new Set(me?.permissions ?? []);
    return { state, me, login, acceptInvitation, logout, switchOrg, reloadMe: loadMe, can: (p) => perms.has(p) };
  }, [state, login, acceptInvitation, logout, switchOrg, loadMe]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
