import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { ProblemMessage } from '../../components/ProblemMessage';
import { Lockout } from './Lockout';
import { lockoutInstruments, type LapsedInstrument } from './lockout';
import type { RunDetail } from '../../api/types';

type Action = 'start' | 'complete' | 'fail' | 'abort';

const labels: Record<Action, string> = { start: 'Start', complete: 'Complete', fail: 'Fail', abort: 'Abort' };

/**
 * The steps of the run's life the caller may take now: exactly the ones
 * the server lists in the run's `actions` (computed for the caller's role
 * by the domain); nothing here re-derives them from the status or role.
 */
export function lifeActions(run: Pick<RunDetail, 'actions'>): Action[] {
  return run.actions.filter((a): a is Action => a in labels);
}

/** The run's life buttons, with the reason form for fail and abort. */
export function RunActions({ run, onChanged }: { run: RunDetail; onChanged: () => Promise<unknown> }) {
  const [asking, setAsking] = useState<Action | null>(null);
  const [reason, setReason] = useState('');
  const change = useMutation({
    mutationFn: async ({ action, why }: { action: Action; why?: string }) =>
      unwrap(
        await api.POST(`/api/analysis/runs/{id}/${action}`, {
          params: { path: { id: run.id }, header: { 'If-Match': `"${run.version}"` } },
          body: why ? { reason: why } : {},
        }),
      ),
  });
  const busy = change.isPending;
  // A refusal naming lapsed calibrations is shown as the lockout, any other as the error.
  const lockout: LapsedInstrument[] | null = change.error ? lockoutInstruments(change.error) : null;
  const error: unknown = lockout ? null : change.error;

  function act(action: Action, why?: string) {
    change.mutate(
      { action, why },
      {
        onSuccess: () => {
          setAsking(null);
          setReason('');
        },
        onSettled: () => void onChanged(),
      },
    );
  }

  const actions = lifeActions(run);
  if (actions.length === 0 && !lockout && !error) return null;
  return (
    <div>
      <div className="actions">
        {actions.map((a) => (
          <button
            key={a}
            type="button"
            className={a === 'start' || a === 'complete' ? undefined : 'secondary'}
            data-testid={`${a}-run`}
            disabled={busy}
            onClick={() => (a === 'fail' || a === 'abort' ? setAsking(a) : act(a))}
          >
            {labels[a]}
          </button>
        ))}
      </div>
      {asking && (
        <form
          className="card form inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            act(asking, reason.trim());
          }}
        >
          <div className="field">
            <label htmlFor="run-reason">Why {asking === 'fail' ? 'did it fail' : 'abort'}?</label>
            <input id="run-reason" data-testid="run-reason" value={reason} onChange={(e) => setReason(e.target.value)} autoFocus />
          </div>
          <button type="submit" data-testid={`confirm-${asking}`} disabled={busy}>
            {labels[asking]} run
          </button>
          <button type="button" className="secondary" onClick={() => setAsking(null)}>
            Cancel
          </button>
        </form>
      )}
      {lockout && <Lockout instruments={lockout} detail="The run is blocked until the instruments are recalibrated." />}
      {error !== null && <ProblemMessage error={error} />}
    </div>
  );
}
