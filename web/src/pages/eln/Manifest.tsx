import { $api } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';

/** GET /eln/{id}/signatures: who signed, as what, when, the digest, and whether it still matches. */
export function Manifest({ id }: { id: string }) {
  const q = $api.useQuery('get', '/api/lims/eln/{id}/signatures', { params: { path: { id } } });
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  const sigs = q.data.signatures ?? [];
  return (
    <div data-testid="signature-manifest">
      {sigs.length === 0 ? (
        <p className="muted" data-testid="no-signatures">
          Not signed yet.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Signer</th>
                <th scope="col">Role</th>
                <th scope="col">Meaning</th>
                <th scope="col">When</th>
                <th scope="col">SHA-256</th>
                <th scope="col">Content</th>
              </tr>
            </thead>
            <tbody>
              {sigs.map((s) => (
                <tr key={s.id} data-testid="signature-row">
                  <td data-testid="signature-signer">
                    {s.signer.name}
                    <div className="muted small">{s.signer.email}</div>
                  </td>
                  <td data-testid="signature-role">{s.role}</td>
                  <td data-testid="signature-meaning">{s.meaning}</td>
                  <td className="nowrap">{formatTime(s.signed_at)}</td>
                  <td className="mono" title={s.content_sha256} data-testid="signature-hash">
                    {s.content_sha256.slice(0, 16)}…
                  </td>
                  <td>
                    <span
                      className={`badge badge-${s.matches ? 'ok' : 'bad'}`}
                      data-testid="signature-matches"
                      data-matches={String(s.matches)}
                    >
                      {s.matches ? 'matches' : 'changed'}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="small muted">
        Current content SHA-256: <span className="mono" data-testid="content-hash">{q.data.content_sha256}</span>
      </p>
    </div>
  );
}
