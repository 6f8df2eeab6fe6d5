import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { ProblemMessage } from '../../components/ProblemMessage';
import type { Result } from '../../api/types';
import { buildAmendment, currentResults, type AddedRow, type FormError, type RowChoice } from './amend';

/**
 * The amendment of a completed run (POST /runs/{id}/amendments): a reason,
 * for each current result keep / correct (a new value) / withdraw, and
 * results to add. The form takes the focus when it opens; onClose returns
 * it to the button that opened it.
 */
export function AmendForm({
  runId,
  results,
  onSaved,
  onClose,
}: {
  runId: string;
  results: Result[];
  onSaved: () => Promise<unknown>;
  onClose: () => void;
}) {
  const uid = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const [reason, setReason] = useState('');
  const [choices, setChoices] = useState<Record<string, RowChoice>>({});
  const [added, setAdded] = useState<AddedRow[]>([]);
  const [errors, setErrors] = useState<FormError[]>([]);
  const save = useMutation({
    mutationFn: async (body: ReturnType<typeof buildAmendment>['body']) =>
      unwrap(await api.POST('/api/analysis/runs/{id}/amendments', { params: { path: { id: runId } }, body })),
  });
  useEffect(() => heading.current?.focus(), []);

  const current = currentResults(results);
  const errorOf = (field: string) => errors.find((e) => e.field === field)?.message;
  const choose = (id: string, c: Partial<RowChoice>) =>
    setChoices((all) => ({ ...all, [id]: { mode: 'keep', value: '', ...all[id], ...c } }));

  function submit(e: FormEvent) {
    e.preventDefault();
    const { body, errors } = buildAmendment(reason, choices, added);
    setErrors(errors);
    if (errors.length > 0) return;
    save.mutate(body, {
      onSuccess: async () => {
        await onSaved();
        onClose();
      },
    });
  }

  const reasonError = errorOf('reason');
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="amend-form" aria-labelledby={`${uid}-h`}>
      <h3 id={`${uid}-h`} ref={heading} tabIndex={-1}>
        Amend the completed run
      </h3>
      <p className="muted small">
        The results stay on record: a corrected or withdrawn value is kept and marked superseded. Results derived from
        the data series are not recomputed.
      </p>
      <div className={`field${reasonError ? ' field-invalid' : ''}`}>
        <label htmlFor={`${uid}-reason`}>Reason (required)</label>
        <textarea
          id={`${uid}-reason`}
          data-testid="amend-reason"
          value={reason}
          maxLength={2000}
          required
          aria-invalid={!!reasonError}
          aria-describedby={reasonError ? `${uid}-reason-err` : undefined}
          onChange={(e) => setReason(e.target.value)}
        />
        {reasonError && (
          <div id={`${uid}-reason-err`} className="field-error">
            {reasonError}
          </div>
        )}
      </div>

      {current.length > 0 && (
        <fieldset>
          <legend>Correct or withdraw results</legend>
          <div className="table-wrap">
            <table className="table" data-testid="amend-rows">
              <thead>
                <tr>
                  <th>Metric</th>
                  <th>Value</th>
                  <th>Change</th>
                  <th>Corrected value</th>
                </tr>
              </thead>
              <tbody>
                {current.map((r) => {
                  const c = choices[r.id] ?? { mode: 'keep', value: '' };
                  const err = errorOf(`correct.${r.id}`);
                  return (
                    <tr key={r.id} data-testid="amend-row">
                      <td>{r.metric}</td>
                      <td className="nowrap">
                        {r.value} {r.unit}
                      </td>
                      <td>
                        <label className="visually-hidden" htmlFor={`${uid}-${r.id}-mode`}>
                          Change to {r.metric}
                        </label>
                        <select
                          id={`${uid}-${r.id}-mode`}
                          data-testid="amend-mode"
                          value={c.mode}
                          onChange={(e) => choose(r.id, { mode: e.target.value as RowChoice['mode'] })}
                        >
                          <option value="keep">Keep</option>
                          <option value="correct">Correct</option>
                          <option value="withdraw">Withdraw</option>
                        </select>
                      </td>
                      <td>
                        {c.mode === 'correct' && (
                          <>
                            <label className="visually-hidden" htmlFor={`${uid}-${r.id}-value`}>
                              Corrected {r.metric}
                              {r.unit ? ` (${r.unit})` : ''}
                            </label>
                            <input
                              id={`${uid}-${r.id}-value`}
                              data-testid="amend-value"
                              inputMode="decimal"
                              value={c.value}
                              aria-invalid={!!err}
                              aria-describedby={err ? `${uid}-${r.id}-err` : undefined}
                              onChange={(e) => choose(r.id, { value: e.target.value })}
                            />
                            {err && (
                              <div id={`${uid}-${r.id}-err`} className="field-error">
                                {err}
                              </div>
                            )}
                          </>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </fieldset>
      )}

      <fieldset>
        <legend>Add results</legend>
        {added.map((a, i) => {
          const set = (f: Partial<AddedRow>) => setAdded((all) => all.map((x, j) => (j === i ? { ...x, ...f } : x)));
          return (
            <div className="inline-form" key={i} data-testid="amend-added">
              {(['metric', 'value', 'unit'] as const).map((f) => {
                const err = errorOf(`add.${i}.${f}`);
                return (
                  <div className={`field${err ? ' field-invalid' : ''}`} key={f}>
                    <label htmlFor={`${uid}-add-${i}-${f}`}>{f === 'metric' ? 'Metric' : f === 'value' ? 'Value' : 'Unit'}</label>
                    <input
                      id={`${uid}-add-${i}-${f}`}
                      data-testid={`amend-add-${f}`}
                      value={a[f]}
                      inputMode={f === 'value' ? 'decimal' : undefined}
                      aria-invalid={!!err}
                      onChange={(e) => set({ [f]: e.target.value })}
                    />
                    {err && <div className="field-error">{err}</div>}
                  </div>
                );
              })}
              <button type="button" className="secondary" onClick={() => setAdded((all) => all.filter((_, j) => j !== i))}>
                Remove
              </button>
            </div>
          );
        })}
        <button
          type="button"
          className="secondary"
          data-testid="amend-add-row"
          onClick={() => setAdded((all) => [...all, { metric: '', value: '', unit: '' }])}
        >
          Add a result
        </button>
      </fieldset>

      {errorOf('supersede') && (
        <div className="alert alert-error" role="alert">
          {errorOf('supersede')}
        </div>
      )}
      {save.error && <ProblemMessage error={save.error} />}
      <div className="actions">
        <button type="submit" data-testid="amend-save" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save amendment'}
        </button>
        <button type="button" className="secondary" onClick={onClose} disabled={save.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
