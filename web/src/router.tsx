import { Suspense } from 'react';
import { createBrowserRouter, type RouteObject } from 'react-router';
import { RequireAuth } from './auth/RequireAuth';
import { RoleGuard } from './auth/RoleGuard';
import { Layout } from './components/Layout';
import { Loading } from './components/Loading';
import { Forbidden, NotFound, RouteError } from './components/Fallbacks';
import LoginPage from './pages/login/LoginPage';
import { appRoutes, type AppRoute } from './routes';

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
