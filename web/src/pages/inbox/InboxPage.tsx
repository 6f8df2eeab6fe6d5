import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { $api } from '../../api/client';
import { inboxQueries, invalidate } from '../../api/queries';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { changedPreferences, kindLabels, unreadLabel, type Preference } from './inbox';

/** My notifications, newest first: open one, mark one or all read; below, which channels each kind uses. */
export default function InboxPage() {
  const pager = useCursor();
  const queryClient = useQueryClient();
  const q = $api.useQuery('get', '/api/inbox', { params: { query: { cursor: pager.cursor, limit: 50 } } }, { placeholderData: (prev) => prev });
  const markRead = $api.useMutation('post', '/api/inbox/{id}/read');
  const markAll = $api.useMutation('post', '/api/inbox/read-all');
  const refresh = () => invalidate(queryClient, inboxQueries.all());
  const items = q.data?.items ?? [];
  const unread = q.data?.unread ?? 0;

  return (
    <section className="page">
      <div className="page-head">
        <h1>Inbox</h1>
        <button
          type="button"
          className="secondary"
          data-testid="mark-all-read"
          disabled={unread === 0 || items.length === 0 || markAll.isPending}
          onClick={async () => {
            // Up to the newest shown: what arrived since stays unread.
            const newest = items[0];
            if (!newest) return;
            // A failure shows as markAll.error.
            await markAll.mutateAsync({ body: { up_to: newest.id } }).then(refresh, () => undefined);
          }}
        >
          Mark all read
        </button>
      </div>
      <p className="muted" data-testid="inbox-unread" role="status">
        {unreadLabel(unread)}
      </p>
      {markRead.error && <ProblemMessage error={markRead.error} />}
      {markAll.error && <ProblemMessage error={markAll.error} />}
      {q.isPending ? (
        <Loading />
      ) : q.isError ? (
        <ProblemMessage error={q.error} />
      ) : items.length === 0 ? (
        <p className="muted" data-testid="inbox-empty">
          Nothing here yet.
        </p>
      ) : (
        <ul className="inbox-list" data-testid="inbox-list">
          {items.map((n) => (
            <li key={n.id} className={n.read_at ? 'inbox-item' : 'inbox-item inbox-unread'} data-testid="inbox-item" data-read={n.read_at ? 'true' : 'false'}>
              <div className="inbox-item-head">
                <Link to={n.link} data-testid="inbox-subject">
                  {n.read_at ? n.subject : <strong>{n.subject}</strong>}
                </Link>
                <span className="muted">{formatTime(n.created_at)}</span>
              </div>
              <p>{n.body}</p>
              {!n.read_at && (
                <button
                  type="button"
                  className="secondary"
                  data-testid="mark-read"
                  aria-label={`Mark "${n.subject}" read`}
                  disabled={markRead.isPending}
                  onClick={async () => {
                    await markRead.mutateAsync({ params: { path: { id: n.id } } }).then(refresh, () => undefined);
                  }}
                >
                  Mark read
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {q.data && <Pager page={pager.page} nextCursor={q.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />}
      <PreferencesForm />
    </section>
  );
}

/** Per kind: in the inbox, by e-mail, and e-mail as a daily digest instead of at once. */
function PreferencesForm() {
  const q = $api.useQuery('get', '/api/inbox/preferences');
  const [saved, setSaved] = useState(false);
  if (q.isPending) return <Loading />;
  if (q.isError) return <ProblemMessage error={q.error} />;
  // A new version (after a save) starts the form afresh from what is stored.
  return <PreferencesEditor key={q.data.version} initial={q.data.items} version={q.data.version} saved={saved} setSaved={setSaved} />;
}

function PreferencesEditor({
  initial,
  version,
  saved,
  setSaved,
}: {
  initial: Preference[];
  version: number;
  saved: boolean;
  setSaved: (saved: boolean) => void;
}) {
  const queryClient = useQueryClient();
  const save = $api.useMutation('put', '/api/inbox/preferences');
  const [draft, setDraft] = useState<Preference[]>(initial);
  const changed = changedPreferences(initial, draft);
  const set = (kind: Preference['kind'], field: 'inbox' | 'email' | 'daily_digest', value: boolean) => {
    setSaved(false);
    setDraft((d) => d.map((p) => (p.kind === kind ? { ...p, [field]: value } : p)));
  };

  return (
    <form
      className="card form inbox-prefs"
      data-testid="preferences-form"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await save.mutateAsync({ body: { items: changed, version } });
        } catch {
          return; // shown as save.error
        }
        await invalidate(queryClient, inboxQueries.preferences());
        setSaved(true);
      }}
    >
      <h2>Notifications I get</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Inbox</th>
            <th scope="col">E-mail</th>
            <th scope="col">Daily digest</th>
          </tr>
        </thead>
        <tbody>
          {draft.map((p) => (
            <tr key={p.kind} data-testid={`pref-${p.kind}`}>
              <th scope="row">{kindLabels[p.kind]}</th>
              {(['inbox', 'email', 'daily_digest'] as const).map((field) => (
                <td key={field}>
                  <input
                    type="checkbox"
                    aria-label={`${kindLabels[p.kind]}: ${field === 'daily_digest' ? 'daily digest' : field === 'email' ? 'e-mail' : 'inbox'}`}
                    data-testid={`pref-${p.kind}-${field}`}
                    checked={p[field]}
                    disabled={field === 'daily_digest' && !p.email}
                    onChange={(e) => set(p.kind, field, e.target.checked)}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {save.error && <ProblemMessage error={save.error} />}
      {saved && (
        <p role="status" className="muted" data-testid="preferences-saved">
          Saved.
        </p>
      )}
      <div className="form-actions">
        <button type="submit" data-testid="preferences-save" disabled={changed.length === 0 || save.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}
