// The one place query keys are made: a factory per resource. $api.useQuery
// keys every GET ['get', path, init]; the keys here are those keys' first
// two parts, so invalidating one refetches every GET of that path whatever
// its parameters. Pages name keys through these factories, never by hand.
import { queryOptions, type QueryClient, type QueryKey } from '@tanstack/react-query';
import { api } from './client';
import { unwrap } from './problem';
import type { paths } from './schema';

/** The paths that have a GET. */
export type GetPath = {
  [P in keyof paths]: NonNullable<paths[P]['get']> extends never ? never : P;
}[keyof paths];

/** The key prefix of every GET of path: what an invalidation names. */
function key<P extends GetPath>(path: P) {
  return ['get', path] as const;
}

export const authQueries = {
  /** The sign-in methods the login page offers (public, no token). */
  config: () =>
    queryOptions({
      queryKey: [...key('/auth/config')],
      queryFn: async () => unwrap(await api.GET('/auth/config')),
    }),
  myInvitations: () => key('/auth/invitations'),
};

export const adminQueries = {
  organization: () => key('/api/admin/organization'),
  users: () => key('/api/admin/users'),
  apiKeys: () => key('/api/admin/api-keys'),
  invitations: () => key('/api/admin/invitations'),
};

export const calibrationQueries = {
  all: () => key('/api/analysis/calibrations'),
  status: () => key('/api/analysis/calibrations/status'),
};

export const instrumentQueries = {
  all: () => key('/api/analysis/instruments'),
  detail: () => key('/api/analysis/instruments/{id}'),
};

export const spcQueries = {
  alerts: () => key('/api/analysis/spc/alerts'),
};

export const modelQueries = {
  all: () => key('/api/analysis/models'),
  detail: () => key('/api/analysis/models/{id}'),
};

export const runQueries = {
  all: () => key('/api/analysis/runs'),
  detail: () => key('/api/analysis/runs/{id}'),
};

/** The records files attach to, by the path of their collection. */
export type FileOwner = '/api/analysis/runs' | '/api/analysis/calibrations' | '/api/lims/eln' | '/api/lims/sops';

/**
 * The file routes of an owner. The four owners' routes have the same
 * shapes, so each is typed as the runs' and called with its own path.
 */
export const fileQueries = (owner: FileOwner) => ({
  listPath: `${owner}/{id}/files` as '/api/analysis/runs/{id}/files',
  itemPath: `${owner}/{id}/files/{file_id}` as '/api/analysis/runs/{id}/files/{file_id}',
  list: () => key(`${owner}/{id}/files` as '/api/analysis/runs/{id}/files'),
});

export const sampleQueries = {
  all: () => key('/api/lims/samples'),
  detail: () => key('/api/lims/samples/{id}'),
  custody: () => key('/api/lims/samples/{id}/custody'),
  wafers: () => key('/api/lims/samples/{id}/wafers'),
  devices: () => key('/api/lims/devices'),
};

export const elnQueries = {
  all: () => key('/api/lims/eln'),
  detail: () => key('/api/lims/eln/{id}'),
  signatures: () => key('/api/lims/eln/{id}/signatures'),
};

/** Recipes and SOPs: one factory for either kind, given its collection path. */
/** The review queue (recipes and SOPs awaiting review). */
export const reviewQueries = {
  queue: () => key('/api/lims/review'),
};

export const methodQueries = (base: '/api/lims/recipes' | '/api/lims/sops') => ({
  all: () => key(base),
  detail: () => key(`${base}/{id}`),
  approvals: () => key(`${base}/{id}/approvals`),
});

/** Invalidates the keys together; resolves when every refetch is done. */
export async function invalidate(queryClient: QueryClient, ...keys: readonly QueryKey[]): Promise<void> {
  await Promise.all(keys.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
}
