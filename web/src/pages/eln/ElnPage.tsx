import { Link, useSearchParams } from 'react-router';
import { $api } from '../../api/client';
import type { ELNEntry } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { ListResults, SearchForm } from '../../components/ListPage';
import { useCursor } from '../../components/Pager';
import { formatTime } from '../../components/time';
import { excerpt } from './excerpt';
import { Snippet } from './snippet';
import '../methods/methods.css';

const PAGE_SIZE = 20;

function Hit({ entry, searching }: { entry: ELNEntry; searching: boolean }) {
  return (
    <li className="hit" data-testid="eln-row">
      <div className="hit-head">
        <Link to={`/eln/${entry.id}`} className="hit-title" data-testid="eln-link">
          {entry.title}
        </Link>
        <span className="muted small">{formatTime(entry.created_at, 'short')}</span>
        {entry.locked_at && <span className="badge badge-ok">signed ({entry.signature_count})</span>}
        {entry.amends_id && <span className="badge badge-info">amendment</span>}
        {searching && entry.rank !== undefined && (
          <span className="muted small" title="Search relevance">
            relevance {entry.rank.toFixed(2)}
          </span>
        )}
      </div>
      {searching && entry.snippet ? (
        <Snippet html={entry.snippet} />
      ) : (
        <span className="snippet muted">{excerpt(entry.body_markdown)}</span>
      )}
    </li>
  );
}

export default function ElnPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const project = params.get('project') ?? '';
  const pager = useCursor();
  const projects = $api.useQuery('get', '/api/lims/projects', { params: { query: { limit: 200 } } });
  const list = $api.useQuery(
    'get',
    '/api/lims/eln',
    { params: { query: { q: q || undefined, project_id: project || undefined, cursor: pager.cursor, limit: PAGE_SIZE } } },
    { placeholderData: (prev) => prev },
  );

  const setFilter = (next: { q?: string; project?: string }) => {
    const merged = { q, project, ...next };
    setParams(Object.fromEntries(Object.entries(merged).filter(([, v]) => v)));
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1>Notebook</h1>
        <RoleGuard permission="eln.write">
          <Link to="/eln/new" className="button" data-testid="new-entry">
            New entry
          </Link>
        </RoleGuard>
      </div>

      <div className="search-bar">
        <SearchForm
          id="eln-q"
          label="Search the notebook"
          placeholder='Full-text search: words, "a phrase", -exclude'
          q={q}
          testId="eln-search"
          submitTestId="eln-search-submit"
          onSearch={(value) => setFilter({ q: value })}
        />
        <div className="status-filter">
          <label htmlFor="eln-project-filter">Project</label>
          <select
            id="eln-project-filter"
            value={project}
            data-testid="eln-project-filter"
            onChange={(e) => setFilter({ project: e.target.value })}
          >
            <option value="">any</option>
            {(projects.data?.items ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.code}
              </option>
            ))}
          </select>
        </div>
      </div>

      <ListResults list={list} pager={pager}>
        {(data) => (
          <>
            {q && (
              <p className="muted small search-summary" aria-live="polite" data-testid="eln-search-summary">
                <span>{data.items.length === 0 ? `No entries match “${q}”.` : `Best matches for “${q}” first.`}</span>
                <button type="button" className="secondary" onClick={() => setFilter({ q: '' })}>
                  Clear search
                </button>
              </p>
            )}
            {data.items.length > 0 ? (
              <ol className="hits" data-testid="eln-list">
                {data.items.map((e) => (
                  <Hit key={e.id} entry={e} searching={!!q} />
                ))}
              </ol>
            ) : (
              !q && (
                <p className="muted" data-testid="eln-empty">
                  No entries yet.
                </p>
              )
            )}
          </>
        )}
      </ListResults>
    </section>
  );
}
