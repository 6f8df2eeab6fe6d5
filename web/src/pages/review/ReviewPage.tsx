import { Link } from 'react-router';
import { $api } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { reviewPath, waited } from './review';

/**
 * The review queue: recipes and SOPs submitted for review in the
 * organization, oldest first. An item opens on its own page, where a
 * reviewer approves it (the e-signature dialog) or rejects it with a
 * reason; an item the caller authored is marked, since the organization
 * may require another approver.
 */
export default function ReviewPage() {
  const q = $api.useQuery('get', '/api/lims/review');
  return (
    <section className="page">
      <div className="page-head">
        <h1>Review</h1>
      </div>
      <p className="muted">Recipes and SOPs submitted for review, oldest first. Open one to approve it or send it back with a reason.</p>
      {q.isPending ? (
        <Loading />
      ) : q.isError ? (
        <ProblemMessage error={q.error} />
      ) : q.data.items.length === 0 ? (
        <p className="muted" data-testid="review-empty">
          Nothing awaits review.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="review-table">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Title</th>
                <th>Rev.</th>
                <th>Submitted by</th>
                <th>Submitted</th>
                <th>Waiting</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {q.data.items.map((x) => (
                <tr key={x.id} data-testid="review-row" data-id={x.id}>
                  <td>{x.kind === 'recipe' ? 'Recipe' : 'SOP'}</td>
                  <td>
                    <Link to={reviewPath(x)} data-testid="review-open">
                      {x.title}
                    </Link>
                  </td>
                  <td>{x.revision}</td>
                  <td>{x.author_name}</td>
                  <td>{formatTime(x.submitted_at, 'short')}</td>
                  <td>{waited(x.submitted_at)}</td>
                  <td className="muted small" data-testid="review-own">
                    {x.can_approve ? '' : 'another approver must approve'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
