// Every page of the app, in one list: the router and the navigation are
// both built from it. To add a page, add its folder under pages/ and one
// line here (see CONTRIBUTING-UI.md).
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface AppRoute {
  /** A react-router path, e.g. /samples/:id. */
  path: string;
  /** The page, loaded on first visit (keeps the first download small). */
  page: LazyExoticComponent<ComponentType>;
  /** The permission (from GET /auth/me) needed to see the page. */
  permission: string;
  /** Set for pages that have an entry in the navigation, in this order. */
  navLabel?: string;
}

export const appRoutes: AppRoute[] = [
  { path: '/', page: lazy(() => import('./pages/dashboard/DashboardPage')), permission: 'profile.read', navLabel: 'Dashboard' },
  { path: '/samples', page: lazy(() => import('./pages/samples/SamplesPage')), permission: 'sample.read', navLabel: 'Samples' },
  { path: '/samples/:id', page: lazy(() => import('./pages/samples/SampleDetailPage')), permission: 'sample.read' },
  { path: '/instruments', page: lazy(() => import('./pages/instruments/InstrumentsPage')), permission: 'instrument.read', navLabel: 'Instruments' },
  { path: '/instruments/:id', page: lazy(() => import('./pages/instruments/InstrumentDetailPage')), permission: 'instrument.read' },
  { path: '/runs', page: lazy(() => import('./pages/runs/RunsPage')), permission: 'run.read', navLabel: 'Runs' },
  { path: '/runs/new', page: lazy(() => import('./pages/runs/NewRunPage')), permission: 'run.create' },
  { path: '/runs/:id', page: lazy(() => import('./pages/runs/RunDetailPage')), permission: 'run.read' },
  { path: '/recipes', page: lazy(() => import('./pages/recipes/RecipesPage')), permission: 'recipe.read', navLabel: 'Recipes' },
  { path: '/recipes/:id', page: lazy(() => import('./pages/recipes/RecipeDetailPage')), permission: 'recipe.read' },
  { path: '/sops', page: lazy(() => import('./pages/sops/SopsPage')), permission: 'sop.read', navLabel: 'SOPs' },
  { path: '/sops/:id', page: lazy(() => import('./pages/sops/SopDetailPage')), permission: 'sop.read' },
  { path: '/review', page: lazy(() => import('./pages/review/ReviewPage')), permission: 'recipe.approve', navLabel: 'Review' },
  { path: '/eln', page: lazy(() => import('./pages/eln/ElnPage')), permission: 'eln.read', navLabel: 'Notebook' },
  { path: '/eln/new', page: lazy(() => import('./pages/eln/ElnNewPage')), permission: 'eln.write' },
  { path: '/eln/:id', page: lazy(() => import('./pages/eln/ElnDetailPage')), permission: 'eln.read' },
  { path: '/spc', page: lazy(() => import('./pages/spc/SpcPage')), permission: 'spc.read', navLabel: 'SPC' },
  { path: '/spc/:id', page: lazy(() => import('./pages/spc/SpcSeriesPage')), permission: 'spc.read' },
  { path: '/models', page: lazy(() => import('./pages/ml/ModelsPage')), permission: 'ml.read', navLabel: 'Models' },
  { path: '/models/:id', page: lazy(() => import('./pages/ml/ModelDetailPage')), permission: 'ml.read' },
  { path: '/inbox', page: lazy(() => import('./pages/inbox/InboxPage')), permission: 'profile.read' },
  { path: '/account/password', page: lazy(() => import('./pages/account/PasswordPage')), permission: 'profile.read' },
  { path: '/admin/users', page: lazy(() => import('./pages/admin/UsersPage')), permission: 'user.manage', navLabel: 'Admin' },
  { path: '/admin/api-keys', page: lazy(() => import('./pages/admin/ApiKeysPage')), permission: 'apikey.manage' },
  { path: '/admin/settings', page: lazy(() => import('./pages/admin/SettingsPage')), permission: 'org.settings' },
  { path: '/admin/webhooks', page: lazy(() => import('./pages/admin/WebhooksPage')), permission: 'org.settings' },
  { path: '/admin/audit', page: lazy(() => import('./pages/admin/AuditPage')), permission: 'audit.read' },
  { path: '/admin/jobs', page: lazy(() => import('./pages/admin/JobsPage')), permission: 'job.read' },
];
