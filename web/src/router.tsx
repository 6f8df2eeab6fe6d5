import { lazy, Suspense, type ComponentType } from 'react';
import { createBrowserRouter, type RouteObject } from 'react-router';
import { RequireAuth } from './auth/RequireAuth';
import { RoleGuard } from './auth/RoleGuard';
import { Layout } from './components/Layout';
import { Loading } from './components/Loading';
import { Forbidden, NotFound, RouteError } from './components/Fallbacks';
import LoginPage from './pages/login/LoginPage';
import { ACCEPT_PATH } from './pages/invitations/link';
import { appRoutes, type AppRoute } from './routes';

// Public, like the login page: the person may have no account yet.
const AcceptInvitationPage = lazy(() => import('./pages/invitations/AcceptInvitationPage'));
const ForgotPasswordPage = lazy(() => import('./pages/password/ForgotPasswordPage'));
const ResetPasswordPage = lazy(() => import('./pages/password/ResetPasswordPage'));

function publicPage(Page: ComponentType): RouteObject['element'] {
  return (
    <Suspense fallback={<Loading />}>
      <Page />
    </Suspense>
  );
}

function element(r: AppRoute) {
  const Page = r.page;
  return (
    <RoleGuard permission={r.permission} fallback={<Forbidden />}>
      <Suspense fallback={<Loading />}>
        <Page />
      </Suspense>
    </RoleGuard>
  );
}

export const routeObjects: RouteObject[] = [
  { path: '/login', element: <LoginPage />, errorElement: <RouteError /> },
  { path: '/forgot-password', element: publicPage(ForgotPasswordPage), errorElement: <RouteError /> },
  { path: '/reset-password', element: publicPage(ResetPasswordPage), errorElement: <RouteError /> },
  {
    path: ACCEPT_PATH,
    element: (
      <Suspense fallback={<Loading />}>
        <AcceptInvitationPage />
      </Suspense>
    ),
    errorElement: <RouteError />,
  },
  {
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    errorElement: <RouteError />,
    children: [...appRoutes.map((r) => ({ path: r.path, element: element(r) })), { path: '*', element: <NotFound /> }],
  },
];

export function createRouter() {
  return createBrowserRouter(routeObjects);
}
