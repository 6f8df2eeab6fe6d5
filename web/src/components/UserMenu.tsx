import { useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { $api } from '../api/client';
import { useAuth } from '../auth/context';
import { badgeText, unreadLabel } from '../pages/inbox/inbox';
import { ProblemMessage } from './ProblemMessage';

/** The inbox link with the count of unread notifications (polled every half minute). */
function InboxLink() {
  const q = $api.useQuery('get', '/api/inbox', { params: { query: { limit: 1 } } }, { refetchInterval: 30_000 });
  const unread = q.data?.unread ?? 0;
  return (
    <Link to="/inbox" className="inbox-link" data-testid="inbox-link">
      Inbox
      {unread > 0 && (
        <span className="inbox-badge" data-testid="inbox-badge" role="status" aria-label={unreadLabel(unread)}>
          {badgeText(unread)}
        </span>
      )}
    </Link>
  );
}

/** Who is signed in (name, organization, role), the inbox, switching organization, changing one's password, logout. */
export function UserMenu() {
  const { me, logout, switchOrg } = useAuth();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const root = useRef<HTMLDivElement>(null);
  const panelId = useId();

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  if (!me) return null;
  const others = (me.memberships ?? []).filter((m) => m.organization.slug !== me.organization.slug);

  return (
    <div className="usermenu" ref={root}>
      <InboxLink />
      <button
        type="button"
        className="usermenu-button"
        data-testid="user-menu"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="usermenu-name">{me.user.name}</span>
        <span className="usermenu-meta">
          <span data-testid="user-org">{me.organization.name}</span> ·{' '}
          <span data-testid="user-role">{me.role}</span>
        </span>
      </button>
      {open && (
        <div className="usermenu-panel" id={panelId}>
          <div className="muted">{me.user.email}</div>
          {others.length > 0 && (
            <label className="field">
              Organization
              <select
                data-testid="org-switcher"
                value={me.organization.slug}
                onChange={async (e) => {
                  setError(null);
                  try {
                    await switchOrg(e.target.value);
                    setOpen(false);
                    navigate('/');
                  } catch (err) {
                    setError(err);
                  }
                }}
              >
                <option value={me.organization.slug}>
                  {me.organization.name} ({me.role})
                </option>
                {others.map((m) => (
                  <option key={m.organization.slug} value={m.organization.slug}>
                    {m.organization.name} ({m.role})
                  </option>
                ))}
              </select>
            </label>
          )}
          {error !== null && <ProblemMessage error={error} />}
          <Link to="/account/password" data-testid="change-password-link" onClick={() => setOpen(false)}>
            Change password
          </Link>
          <button
            type="button"
            className="secondary"
            data-testid="logout"
            onClick={async () => {
              await logout();
              navigate('/login');
            }}
          >
            Log out
          </button>
        </div>
      )}
    </div>
  );
}
