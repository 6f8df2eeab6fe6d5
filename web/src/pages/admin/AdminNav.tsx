import { NavLink } from 'react-router';
import { useCan } from '../../auth/context';
import '../instruments/instruments.css';

const tabs = [
  { to: '/admin/users', label: 'Users', permission: 'user.manage' },
  { to: '/admin/api-keys', label: 'API keys', permission: 'apikey.manage' },
  { to: '/admin/settings', label: 'Organization settings', permission: 'org.settings' },
  { to: '/admin/webhooks', label: 'Webhooks', permission: 'org.settings' },
  { to: '/admin/audit', label: 'Audit log', permission: 'audit.read' },
  { to: '/admin/jobs', label: 'Background jobs', permission: 'job.read' },
];

/** The administration pages' own tabs (the main navigation shows "Admin" once). */
export function AdminNav() {
  const can = useCan();
  return (
    <nav className="subnav" aria-label="Administration">
      {tabs
        .filter((t) => can(t.permission))
        .map((t) => (
          <NavLink key={t.to} to={t.to} data-testid={`admin-tab-${t.to.split('/')[2]}`}>
            {t.label}
          </NavLink>
        ))}
    </nav>
  );
}

export const roles = ['admin', 'pi', 'engineer', 'technician', 'viewer'] as const;
export type Role = (typeof roles)[number];

/** The roles the signed-in user may grant: theirs and those below. */
export function grantableRoles(myRole: string): Role[] {
  const i = roles.indexOf(myRole as Role);
  return i < 0 ? [] : roles.slice(i);
}
