import { NavLink, Outlet } from 'react-router';
import { useCan } from '../auth/context';
import { appRoutes } from '../routes';
import { UserMenu } from './UserMenu';

export function Layout() {
  const can = useCan();
  const nav = appRoutes.filter((r) => r.navLabel && can(r.permission));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          SPECTRA-Lab
        </NavLink>
        <nav className="mainnav" aria-label="Main">
          {nav.map((r) => (
            <NavLink key={r.path} to={r.path} end={r.path === '/'} data-testid={`nav-${r.navLabel?.toLowerCase()}`}>
              {r.navLabel}
            </NavLink>
          ))}
        </nav>
        <UserMenu />
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
