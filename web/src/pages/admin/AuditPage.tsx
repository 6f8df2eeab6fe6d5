import { Fragment, useState } from 'react';
import { useSearchParams } from 'react-router';
import { $api } from '../../api/client';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { AdminNav } from './AdminNav';
import { auditChanges, localToIso, showValue, type AuditEntry } from './audit';

const filterKeys = ['table', 'action', 'actor', 'row_id', 'from', 'to'] as const;
type FilterKey = (typeof filterKeys)[number];
const actions = ['INSERT', 'UPDATE', 'DELETE', 'LOGIN', 'LOGIN_FAILED', 'LOGOUT', 'REFRESH_REUSED'];

function Changes({ entry }: { entry: AuditEntry }) {
  const changes = auditChanges(entry);
  if (changes.length === 0) return <span className="muted">—</span>;
  return (
    <table className="changes" data-testid="audit-changes">
      <thead>
        <tr>
          <th>Field</th>
          <th>Old</th>
          <th>New</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.field}>
            <td>{c.field}</td>
            <td className="old mono">{showValue(c.old)}</td>
            <td className="new mono">{showValue(c.new)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function AuditPage() {
  const [params, setParams] = useSearchParams();
  const pager = useCursor();
  const [open, setOpen] = useState<string | null>(null);
  const f = Object.fromEntries(filterKeys.map((k) => [k, params.get(k) ?? ''])) as Record<FilterKey, string>;
  const users = $api.useQuery('get', '/api/admin/users', { params: { query: { limit: 200 } } });
  const list = $api.useQuery(
    'get',
    '/api/admin/audit',
    {
      params: {
        query: {
          table: f.table || undefined,
          action: f.action || undefined,
          actor: f.actor || undefined,
          row_id: f.row_id || undefined,
          from: localToIso(f.from),
          to: localToIso(f.to),
          cursor: pager.cursor,
          limit: 50,
        },
      },
    },
    { placeholderData: (prev) => prev },
  );

  const apply = (next: Partial<Record<FilterKey, string>>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    p.delete(pager.key); // a new filter starts at page 1
    setParams(p);
  };

  return (
    <section className="page">
      <h1>Administration</h1>
      <AdminNav />
      <form
        className="filters"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          apply(Object.fromEntries(filterKeys.map((k) => [k, String(data.get(k) ?? '').trim()])));
        }}
        key={params.toString()}
      >
        <div className="field">
          <label htmlFor="audit-table">Table</label>
          <input id="audit-table" name="table" defaultValue={f.table} placeholder="e.g. samples" data-testid="audit-table" />
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" name="action" list="audit-actions" defaultValue={f.action} data-testid="audit-action" />
          <datalist id="audit-actions">
            {actions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <select id="audit-actor" name="actor" defaultValue={f.actor} data-testid="audit-actor">
            <option value="">Anyone</option>
            {f.actor && !(users.data?.items ?? []).some((u) => u.id === f.actor) && <option value={f.actor}>{f.actor}</option>}
            {(users.data?.items ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-row">Row id</label>
          <input id="audit-row" name="row_id" defaultValue={f.row_id} data-testid="audit-row-id" />
        </div>
        <div className="field">
          <label htmlFor="audit-from">From</label>
          <input id="audit-from" name="from" type="datetime-local" defaultValue={f.from} data-testid="audit-from" />
        </div>
        <div className="field">
          <label htmlFor="audit-to">Before</label>
          <input id="audit-to" name="to" type="datetime-local" defaultValue={f.to} data-testid="audit-to" />
        </div>
        <div className="actions">
          <button type="submit" data-testid="audit-apply">
            Filter
          </button>
          <button type="button" className="secondary" onClick={() => apply(Object.fromEntries(filterKeys.map((k) => [k, ''])))}>
            Clear
          </button>
        </div>
      </form>

      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ProblemMessage error={list.error} />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="audit-table-view">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Who</th>
                  <th>Action</th>
                  <th>Table / row</th>
                  <th>Changes</th>
                  <th>Request id</th>
                </tr>
              </thead>
              <tbody>
                {(list.data.items ?? []).map((e) => {
                  const n = auditChanges(e).length;
                  return (
                    <Fragment key={e.id}>
                      <tr data-testid="audit-row">
                        <td className="nowrap">{formatTime(e.at)}</td>
                        <td>
                          {e.actor_id ? (
                            <button type="button" className="linklike" title="Only this actor" onClick={() => apply({ actor: e.actor_id ?? '' })}>
                              {e.actor || e.actor_id.slice(0, 8)}
                            </button>
                          ) : (
                            e.actor || <span className="muted">system</span>
                          )}
                          <div className="muted small">via {e.actor_auth || 'unknown'}</div>
                        </td>
                        <td>
                          <span className="badge badge-muted">{e.action}</span>
                        </td>
                        <td>
                          <button type="button" className="linklike" onClick={() => apply({ table: e.table })}>
                            {e.table}
                          </button>
                          {e.row_id && (
                            <div>
                              <button type="button" className="linklike mono" title="Only this row" onClick={() => apply({ row_id: e.row_id ?? '' })}>
                                {e.row_id}
                              </button>
                            </div>
                          )}
                        </td>
                        <td>
                          {n === 0 ? (
                            <span className="muted">—</span>
                          ) : (
                            <button
                              type="button"
                              className="secondary small nowrap"
                              aria-expanded={open === e.id}
                              data-testid="audit-toggle"
                              onClick={() => setOpen(open === e.id ? null : e.id)}
                            >
                              {open === e.id ? 'Hide' : 'Show'} {n} field{n === 1 ? '' : 's'}
                            </button>
                          )}
                        </td>
                        <td className="mono small">{e.request_id || '—'}</td>
                      </tr>
                      {open === e.id && (
                        <tr>
                          <td colSpan={6}>
                            <Changes entry={e} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
          {(list.data.items ?? []).length === 0 && <p className="muted">No entries match.</p>}
          <Pager page={pager.page} nextCursor={list.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />
        </>
      )}
    </section>
  );
}
