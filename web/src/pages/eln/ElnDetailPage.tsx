import { useMutation, useQueryClient } from '@tanstack/react-query';
import { FilesCard } from '../../components/FilesCard';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { $api, api } from '../../api/client';
import { elnQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import type { ELNEntry } from '../../api/types';
import { RoleGuard } from '../../auth/RoleGuard';
import { Loading } from '../../components/Loading';
import { Markdown } from '../../components/Markdown';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { AmendForm, Amendments } from './Amendments';
import { EntryForm, type EntryValues } from './EntryForm';
import { Manifest } from './Manifest';
import { SignDialog } from './SignDialog';
import '../methods/methods.css';

type AmendValues = Parameters<Parameters<typeof AmendForm>[0]['onSave']>[0];
type SignValues = Parameters<Parameters<typeof SignDialog>[0]['onSign']>[0];

function ProjectName({ id }: { id: string }) {
  const q = $api.useQuery('get', '/api/lims/projects/{id}', { params: { path: { id } } });
  if (q.isPending) return <span className="muted">…</span>;
  if (q.isError) return <span className="mono">{id}</span>;
  return (
    <span data-testid="eln-detail-project">
      {q.data.code} — {q.data.name}
    </span>
  );
}

function SampleChip({ id }: { id: string }) {
  const q = $api.useQuery('get', '/api/lims/samples/{id}', { params: { path: { id } } });
  return (
    <Link className="chip" to={`/samples/${id}`}>
      {q.data?.barcode ?? id.slice(-8)}
    </Link>
  );
}

function Links({ entry }: { entry: ELNEntry }) {
  const samples = entry.sample_ids ?? [];
  const runs = entry.run_ids ?? [];
  return (
    <dl className="details">
      <dt>Project</dt>
      <dd>{entry.project_id ? <ProjectName id={entry.project_id} /> : '—'}</dd>
      <dt>Samples</dt>
      <dd>
        <div className="chips" data-testid="eln-detail-samples">
          {samples.length === 0 ? '—' : samples.map((id) => <SampleChip key={id} id={id} />)}
        </div>
      </dd>
      <dt>Runs</dt>
      <dd>
        <div className="chips" data-testid="eln-detail-runs">
          {runs.length === 0
            ? '—'
            : runs.map((id) => (
                <Link key={id} className="chip" to={`/runs/${id}`}>
                  Run {id.slice(-8)}
                </Link>
              ))}
        </div>
      </dd>
      {entry.amends_id && (
        <>
          <dt>Amends</dt>
          <dd>
            <Link to={`/eln/${entry.amends_id}`} data-testid="eln-amends-link">
              the original entry
            </Link>
          </dd>
        </>
      )}
      <dt>Written</dt>
      <dd>{formatTime(entry.created_at)}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(entry.updated_at)}</dd>
    </dl>
  );
}

export default function ElnDetailPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<'view' | 'edit' | 'amend'>('view');
  const [signing, setSigning] = useState(false);
  const q = $api.useQuery('get', '/api/lims/eln/{id}', { params: { path: { id } } });
  const save = useMutation({
    mutationFn: async ({ version, v }: { version: number; v: EntryValues }) =>
      unwrap(
        await api.PUT('/api/lims/eln/{id}', {
          params: { path: { id }, header: { 'If-Match': `"${version}"` } },
          body: {
            title: v.title,
            body_markdown: v.body_markdown,
            project_id: v.project_id || undefined,
            sample_ids: v.sample_ids,
            run_ids: v.run_ids,
            version,
          },
        }),
      ),
  });
  const amend = useMutation({
    mutationFn: async (v: AmendValues) =>
      unwrap(
        await api.POST('/api/lims/eln/{id}/amendments', {
          params: { path: { id } },
          body: { body_markdown: v.body_markdown, title: v.title || undefined },
        }),
      ),
  });
  const sign = useMutation({
    mutationFn: async (v: SignValues) => unwrap(await api.POST('/api/lims/eln/{id}/sign', { params: { path: { id } }, body: v })),
  });

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: elnQueries.detail() }),
      queryClient.invalidateQueries({ queryKey: elnQueries.signatures() }),
      queryClient.invalidateQueries({ queryKey: elnQueries.all() }),
    ]);

  const back = (
    <p>
      <Link to="/eln">← Notebook</Link>
    </p>
  );
  if (q.isPending) return <Loading />;
  if (q.isError)
    return (
      <section className="page">
        {back}
        <ProblemMessage error={q.error} />
      </section>
    );
  const entry = q.data;
  const locked = entry.locked_at !== null;

  return (
    <section className="page">
      {back}
      <div className="page-head">
        <h1>
          <span data-testid="eln-detail-title">{entry.title}</span>{' '}
          {locked && (
            <span className="badge badge-ok badge-plain" data-testid="locked-badge" title={`Locked ${formatTime(entry.locked_at)}`}>
              Signed — locked
            </span>
          )}
        </h1>
        <div className="actions">
          {!locked && mode === 'view' && (
            <RoleGuard permission="eln.write">
              <button type="button" className="secondary" data-testid="edit-entry" onClick={() => setMode('edit')}>
                Edit
              </button>
            </RoleGuard>
          )}
          {locked && mode === 'view' && (
            <RoleGuard permission="eln.write">
              <button type="button" className="secondary" data-testid="amend-entry" onClick={() => setMode('amend')}>
                Amend
              </button>
            </RoleGuard>
          )}
          {mode === 'view' && (
            <RoleGuard permission="eln.sign">
              <button type="button" data-testid="sign-button" onClick={() => setSigning(true)}>
                Sign
              </button>
            </RoleGuard>
          )}
        </div>
      </div>

      {mode === 'edit' ? (
        <EntryForm
          entry={entry}
          onCancel={() => setMode('view')}
          onSave={async (v) => {
            await save.mutateAsync({ version: entry.version, v });
            await refresh();
            setMode('view');
          }}
        />
      ) : (
        <>
          <div className="card">
            <Links entry={entry} />
          </div>
          <article className="card" aria-label="Entry">
            <Markdown source={entry.body_markdown} testId="eln-body-rendered" />
          </article>
        </>
      )}

      {mode === 'amend' && (
        <AmendForm
          originalTitle={entry.title}
          onCancel={() => setMode('view')}
          onSave={async (v) => {
            await amend.mutateAsync(v);
            await refresh();
            setMode('view');
          }}
        />
      )}

      <section className="card" aria-labelledby="sig-h">
        <h2 id="sig-h">Signatures</h2>
        <Manifest id={id} />
      </section>
      <FilesCard owner="/api/lims/eln" ownerId={id} writable={!locked} permission="eln.write" title="Attachments" />
      <section className="card" aria-labelledby="amend-h">
        <h2 id="amend-h">Amendments</h2>
        <Amendments ids={entry.amendments ?? []} />
      </section>

      <SignDialog
        open={signing}
        title={entry.title}
        onClose={() => setSigning(false)}
        onSign={async (v) => {
          await sign.mutateAsync(v);
          await refresh();
          setSigning(false);
        }}
      />
    </section>
  );
}
