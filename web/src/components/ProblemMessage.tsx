import { toProblem } from '../api/problem';

/**
 * Shows an error the API returned (problem+json) or a network failure:
 * the server's detail, and the request id for support.
 */
export function ProblemMessage({ error, title }: { error: unknown; title?: string }) {
  const p = toProblem(error);
  return (
    <div className="alert alert-error" role="alert" data-testid="problem">
      <strong>{title ?? (p.status ? `${p.title} (${p.status})` : p.title)}</strong>
      <div>{p.detail}</div>
      {p.request_id && <small className="muted">Request id: {p.request_id}</small>}
    </div>
  );
}
