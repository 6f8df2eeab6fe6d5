import type { ReactNode } from 'react';
import { useCan } from './context';

/**
 * Renders children only when the user's role holds permission (from the
 * list GET /auth/me returns). It hides what a role may not do; the server
 * enforces it regardless.
 */
export function RoleGuard({
  permission,
  children,
  fallback = null,
}: {
  permission: string;
  children: ReactNode;
  fallback?: ReactNode;
}) {
  return <>{useCan()(permission) ? children : fallback}</>;
}
