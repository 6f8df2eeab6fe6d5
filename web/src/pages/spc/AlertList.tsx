import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link } from 'react-router';
import { $api, api } from '../../api/client';
import { spcQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import { RoleGuard } from '../../auth/RoleGuard';
import { Badge } from '../../components/Badge';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Loading } from '../../components/Loading';
import { Pager, useCursor } from '../../components/Pager';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { applyServerErrors } from '../../forms/serverErrors';
import type { SPCAlert } from './chart';

export const ruleNames: Record<SPCAlert['rule'], string> = {
  WE1: 'one point beyond 3σ',
  WE2: '2 of 3 beyond 2σ on one side',
  WE3: '4 of 5 beyond 1σ on one side',
  WE4: '8 in a row on one side',
};

function AckForm({ alert, onDone, onCancel }: { alert: SPCAlert; onDone: () => Promise<unknown>; onCancel: () => void }) {
  const form = useForm<{ comment: string }>({ defaultValues: { comment: '' } });
  const { errors, isSubmitting } = form.formState;
  const acknowledge = useMutation({
    mutationFn: async (v: { comment: string }) =>
      unwrap(
        await api.POST('/api/analysis/spc/alerts/{id}/acknowledge', {
          params: { path: { id: alert.id } },
          body: { comment: v.comment.trim() },
        }),
      ),
  });
  const submit = form.handleSubmit(async (v) => {
    try {
      await acknowledge.mutateAsync(v);
      await onDone();
    } catch (err) {
      applyServerErrors(err, form.setError, ['comment']);
    }
  });
  return (
    <form className="form" onSubmit={submit} noValidate data-testid="ack-form">
      <Field label="What was found, what was done" error={errors.comment}>
        <textarea
          rows={2}
          autoFocus
          data-testid="ack-comment"
          {...form.register('comment', { validate: (v) => v.trim() !== '' || 'A comment is required.' })}
        />
      </Field>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="ack-submit" disabled={isSubmitting}>
          {isSubmitting ? 'Acknowledging…' : 'Acknowledge'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * The SPC alerts (of one series, or all), open or all, paginated; engineers
 * and above acknowledge them with a comment.
 */
export function AlertList({ seriesId, seriesNames }: { seriesId?: string; seriesNames?: Map<string, string> }) {
  const [which, setWhich] = useState<'false' | 'true'>('false');
  const [acking, setAcking] = useState<string | null>(null);
  const pager = useCursor('alerts_after');
  const queryClient = useQueryClient();
  const q = $api.useQuery(
    'get',
    '/api/analysis/spc/alerts',
    { params: { query: { series_id: seriesId, acknowledged: which, cursor: pager.cursor, limit: 20 } } },
    { placeholderData: (prev) => prev },
  );

  return (
    <>
      <div className="filters">
        <div className="field">
          <label htmlFor={`alerts-which-${seriesId ?? 'all'}`}>Show</label>
          <select
            id={`alerts-which-${seriesId ?? 'all'}`}
            data-testid="alerts-filter"
            value={which}
            onChange={(e) => {
              pager.reset();
              setWhich(e.target.value as 'false' | 'true');
            }}
          >
            <option value="false">Open alerts</option>
            <option value="true">Acknowledged alerts</option>
          </select>
        </div>
      </div>
      {q.isPending ? (
        <Loading />
      ) : q.isError ? (
        <ProblemMessage error={q.error} />
      ) : (q.data.items ?? []).length === 0 ? (
        <p className="muted" data-testid="no-alerts">
          {which === 'false' ? 'No open alerts.' : 'No acknowledged alerts.'}
        </p>
      ) : (
        <ul className="alerts" data-testid="spc-alert-list">
          {(q.data.items ?? []).map((a) => (
            <li key={a.id} className="card" data-testid="spc-alert">
              <div className="page-head" style={{ marginBottom: 0 }}>
                <div>
                  <Badge value={a.rule} /> <strong>{a.message}</strong>
                  <div className="muted small">
                    {ruleNames[a.rule]} · raised {formatTime(a.raised_at)} · {a.point_ids?.length ?? 0} point(s)
                    {!seriesId && (
                      <>
                        {' · '}
                        <Link to={`/spc/${a.series_id}`}>{seriesNames?.get(a.series_id) ?? 'series'}</Link>
                      </>
                    )}
                  </div>
                  {a.acknowledged_at && (
                    <div className="small" data-testid="ack-note">
                      Acknowledged {formatTime(a.acknowledged_at)}: {a.ack_comment}
                    </div>
                  )}
                </div>
                {!a.acknowledged_at && acking !== a.id && (
                  <RoleGuard permission="spc.acknowledge">
                    <button type="button" className="secondary" data-testid="ack-button" onClick={() => setAcking(a.id)}>
                      Acknowledge
                    </button>
                  </RoleGuard>
                )}
              </div>
              {acking === a.id && (
                <AckForm
                  alert={a}
                  onCancel={() => setAcking(null)}
                  onDone={async () => {
                    setAcking(null);
                    await queryClient.invalidateQueries({ queryKey: spcQueries.alerts() });
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {q.data && <Pager page={pager.page} nextCursor={q.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />}
    </>
  );
}
