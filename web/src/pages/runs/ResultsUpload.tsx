import { useMutation } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { toProblem, unwrap } from '../../api/problem';
import type { Problem, SPCAlert } from '../../api/types';

type Alert = SPCAlert;

/**
 * Uploads a CSV of results (header metric,value,unit[,device_id,measured_at])
 * to POST /runs/{id}/results as text/csv. A 422 lists each bad line
 * (e.g. "line 3.value"); nothing of a rejected file is stored.
 */
export function ResultsUpload({ runId, onDone }: { runId: string; onDone: (alerts: Alert[]) => void }) {
  const id = useId();
  const file = useRef<HTMLInputElement>(null);
  const send = useMutation({
    mutationFn: async (f: File) => {
      const text = await f.text();
      return unwrap(
        await api.POST('/api/analysis/runs/{id}/results', {
          params: { path: { id: runId } },
          body: text,
          bodySerializer: (b) => b,
          headers: { 'Content-Type': 'text/csv' },
        }),
      );
    },
  });
  const busy = send.isPending;
  const [problem, setProblem] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);

  function upload(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    setDone(null);
    const f = file.current?.files?.[0];
    if (!f) {
      setProblem({ type: 'about:blank', title: 'No file', status: 0, code: 'invalid', detail: 'Choose a CSV file first.' });
      return;
    }
    send.mutate(f, {
      onSuccess: (out) => {
        const n = out.results?.length ?? 0;
        const alerts = out.alerts ?? [];
        setDone(`${n} result${n === 1 ? '' : 's'} added${alerts.length ? `; ${alerts.length} SPC alert(s) raised` : ''}.`);
        if (file.current) file.current.value = '';
        onDone(alerts);
      },
      onError: (err) => setProblem(toProblem(err)),
    });
  }

  return (
    <form className="inline-form" onSubmit={upload} data-testid="results-upload" noValidate>
      <div className="field">
        <label htmlFor={id}>Results CSV</label>
        <input
          id={id}
          ref={file}
          type="file"
          accept=".csv,text/csv"
          data-testid="results-file"
          aria-describedby={`${id}-hint`}
        />
        <div id={`${id}-hint`} className="field-hint">
          Header: metric,value,unit (optional device_id, measured_at).
        </div>
      </div>
      <button type="submit" data-testid="upload-results" disabled={busy}>
        {busy ? 'Uploading…' : 'Upload results'}
      </button>
      {done && (
        <div className="alert alert-info" role="status" data-testid="upload-done">
          {done}
        </div>
      )}
      {problem && (
        <div className="alert alert-error" role="alert" data-testid="upload-errors">
          <strong>{problem.detail}</strong>
          {(problem.errors?.length ?? 0) > 0 && (
            <ul>
              {problem.errors?.map((fe, i) => (
                <li key={i} data-testid="upload-error">
                  <code>{fe.field}</code>: {fe.message}
                </li>
              ))}
            </ul>
          )}
          {problem.request_id && <small className="muted">Request id: {problem.request_id}</small>}
        </div>
      )}
    </form>
  );
}
