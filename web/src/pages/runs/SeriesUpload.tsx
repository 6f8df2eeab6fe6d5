import { useMutation } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { toProblem, unwrap } from '../../api/problem';
import type { Problem, StoredSeries } from '../../api/types';

/**
 * Uploads an instrument's data file (CSV or TSV with a header row naming
 * the columns, units in brackets; columns of numbers such as an XRD .xy;
 * JCAMP-DX) to POST /runs/{id}/series as a curve. A 422 names the line and column;
 * nothing of a rejected file is stored.
 */
/** The media type of an instrument file by its extension (the server reads the content either way). */
export function mediaType(filename: string): string {
  const ext = filename.toLowerCase().split('.').pop() ?? '';
  if (ext === 'csv') return 'text/csv';
  if (ext === 'tsv') return 'text/tab-separated-values';
  if (ext === 'jdx' || ext === 'dx' || ext === 'jcamp') return 'chemical/x-jcamp-dx';
  return 'text/plain';
}

export function SeriesUpload({ runId, onDone }: { runId: string; onDone: (s: StoredSeries) => void }) {
  const id = useId();
  const file = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const send = useMutation({
    mutationFn: async (f: File) =>
      unwrap(
        await api.POST('/api/analysis/runs/{id}/series', {
          params: { path: { id: runId }, query: { name: name.trim() || f.name.replace(/\.[^.]+$/, '') } },
          body: await f.text(),
          bodySerializer: (b) => b,
          headers: { 'Content-Type': mediaType(f.name) },
        }),
      ),
  });
  const [problem, setProblem] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);

  function upload(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    setDone(null);
    const f = file.current?.files?.[0];
    if (!f) {
      setProblem({ type: 'about:blank', title: 'No file', status: 0, code: 'invalid', detail: 'Choose a data file first.' });
      return;
    }
    send.mutate(f, {
      onSuccess: (s) => {
        const derived = (s.derived ?? []).map((r) => `${r.metric} = ${Number(r.value.toPrecision(4))} ${r.unit}`.trim());
        const skipped = (s.skipped ?? []).map((x) => `${x.metric} not derived (${x.reason.replace(/^dataseries: [^:]*: /, '')})`);
        const alerts = s.alerts?.length ? [`${s.alerts.length} SPC alert(s) raised`] : [];
        setDone([`${s.name}: ${s.rows.toLocaleString()} rows stored.`, ...derived, ...skipped, ...alerts].join(' '));
        if (file.current) file.current.value = '';
        setName('');
        onDone(s);
      },
      onError: (err) => setProblem(toProblem(err)),
    });
  }

  return (
    <form className="inline-form" onSubmit={upload} data-testid="series-upload" noValidate>
      <div className="field">
        <label htmlFor={id}>Data file</label>
        <input id={id} ref={file} type="file" accept=".csv,.tsv,.txt,.xy,.jdx,.dx,text/csv,text/plain" data-testid="series-file" aria-describedby={`${id}-hint`} />
        <div id={`${id}-hint`} className="field-hint">
          CSV or TSV with a header row (e.g. V [V], I [A]), an .xy pattern, or JCAMP-DX.
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder="the file's name" data-testid="series-name" maxLength={200} />
      </div>
      <button type="submit" data-testid="upload-series" disabled={send.isPending}>
        {send.isPending ? 'Uploading…' : 'Upload data'}
      </button>
      {done && (
        <div className="alert alert-info" role="status" data-testid="series-done">
          {done}
        </div>
      )}
      {problem && (
        <div className="alert alert-error" role="alert" data-testid="series-errors">
          <strong>{problem.detail}</strong>
          {(problem.errors?.length ?? 0) > 0 && (
            <ul>
              {problem.errors?.map((fe, i) => (
                <li key={i}>
                  <code>{fe.field}</code>: {fe.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
