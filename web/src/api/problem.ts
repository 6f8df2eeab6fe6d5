import type { components } from './schema';

/** An RFC 9457 problem document as the server sends it. */
export type Problem = components['schemas']['Problem'];

export function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null && 'status' in v && 'detail' in v;
}

/**
 * Turns whatever a failed call threw (a problem body, a network error, a
 * non-JSON answer) into a Problem, so every error is shown the same way.
 */
export function toProblem(err: unknown): Problem {
  if (isProblem(err)) return err;
  if (err instanceof Error) {
    return { type: 'about:blank', title: 'Network error', status: 0, code: 'network', detail: err.message };
  }
  const detail = typeof err === 'string' && err ? err : 'Something went wrong.';
  return { type: 'about:blank', title: 'Error', status: 0, code: 'unknown', detail };
}

/**
 * Fails with the error of an openapi-fetch result, or returns its data:
 * `const sample = unwrap(await api.GET(...))`.
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw isProblem(result.error)
      ? result.error
      : toProblem(`${result.response.status} ${result.response.statusText}`);
  }
  return result.data as T;
}
