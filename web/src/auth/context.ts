import { createContext, useContext } from 'react';
import type { Me } from '../api/types';

export type AuthState =
  | { status: 'loading' }
  | { status: 'anonymous'; message?: string }
  | { status: 'authenticated'; me: Me };

export interface Auth {
  state: AuthState;
  /** The signed-in user, or null. */
  me: Me | null;
  /** Signs in; throws the server's problem on failure. */
  login(username: string, password: string, organization?: string): Promise<void>;
  /**
   * Accepts an invitation with its one-time token (the password of the
   * invited e-mail's account, or of the account it makes, named name) and
   * enters the app as that person, as login does; throws the server's problem.
   */
  acceptInvitation(token: string, password: string, name?: string): Promise<void>;
  logout(): Promise<void>;
  /** Starts a session in another organization of the user. */
  switchOrg(slug: string): Promise<void>;
  /** Reads GET /auth/me again (e.g. after joining an organization). */
  reloadMe(): Promise<void>;
  /** Whether the signed-in user's role holds the permission. */
  can(permission: string): boolean;
}

export const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside <AuthProvider>');
  return auth;
}

/** `const can = useCan(); can('sample.create')` */
export function useCan(): (permission: string) => boolean {
  return useAuth().can;
}

export const SESSION_ENDED = 'Your session ended — sign in again.';
