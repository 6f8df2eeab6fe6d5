import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { $api, api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';
import { applyServerErrors } from '../../forms/serverErrors';
import { AdminNav } from './AdminNav';
import type { Webhook, WebhookCreated } from '../../api/types';

const kinds = ['calibration_warning', 'calibration_expired', 'review_submitted', 'spc_alert', 'run_blocked'] as const;
type Kind = (typeof kinds)[number];

interface HookValues {
  url: string;
  kinds: Kind[];
}

/** The new webhook's signing secret, shown this once. */
function NewSecret({ created, onClose }: { created: WebhookCreated; onClose: () => void }) {
  return (
    <div className="card" role="status" data-testid="new-webhook-box">
      <h2>Webhook to {created.url} added</h2>
      <p>Copy its signing secret now: it is shown this once and cannot be retrieved later.</p>
      <div className="keybox">
        <code data-testid="new-webhook-secret">{created.secret}</code>
      </div>
      <button type="button" className="secondary" data-testid="webhook-secret-stored" onClick={onClose}>
        I have stored it
      </button>
    </div>
  );
}

function NewWebhookForm({ onCreated, onCancel }: { onCreated: (w: WebhookCreated) => Promise<unknown>; onCancel: () => void }) {
  const form = useForm<HookValues>({ defaultValues: { url: 'https://', kinds: [...kinds] } });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (v) => {
    try {
      await onCreated(unwrap(await api.POST('/api/admin/webhooks', { body: { url: v.url.trim(), kinds: v.kinds } })));
    } catch (err) {
      applyServerErrors(err, form.setError, ['url', 'kinds']);
    }
  });
  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="webhook-form">
      <h2>New webhook</h2>
      <div className="form-grid">
        <Field label="URL" error={errors.url} hint="https, to a public address; each event is POSTed there, signed.">
          <input data-testid="webhook-url" {...form.register('url', { required: 'A URL is required.' })} />
        </Field>
        <fieldset>
          <legend>Events</legend>
          {kinds.map((k) => (
            <label key={k} className="small">
              <input type="checkbox" value={k} data-testid={`webhook-kind-${k}`} {...form.register('kinds', { required: 'Choose at least one.' })} />{' '}
              {k.replaceAll('_', ' ')}
            </label>
          ))}
        </fieldset>
      </div>
      <FormError errors={errors} />
      <div className="actions">
        <button type="submit" data-testid="create-webhook" disabled={isSubmitting}>
          {isSubmitting ? 'Adding…' : 'Add webhook'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A webhook's delivery log: attempts, last status code, redelivery. */
function Deliveries({ hook }: { hook: Webhook }) {
  const queryClient = useQueryClient();
  const params = { params: { path: { id: hook.id } } };
  const list = $api.useQuery('get', '/api/admin/webhooks/{id}/deliveries', params);
  const redeliver = useMutation({
    mutationFn: async (delivery: string) =>
      unwrap(
        await api.POST('/api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver', {
          params: { path: { id: hook.id, delivery_id: delivery } },
        }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['get', '/api/admin/webhooks/{id}/deliveries', params] }),
  });
  if (list.isPending) return <Loading />;
  if (list.isError) return <ProblemMessage error={list.error} />;
  const items = list.data.items ?? [];
  return (
    <div data-testid="webhook-deliveries">
      {redeliver.error !== null && <ProblemMessage error={redeliver.error} />}
      {items.length === 0 ? (
        <p className="muted small">No deliveries yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Event</th>
              <th>Created</th>
              <th>Attempts</th>
              <th>Last status</th>
              <th>Delivered</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-testid="webhook-delivery-row">
                <td>
                  {d.kind.replaceAll('_', ' ')}: {d.payload.subject}
                </td>
                <td>{formatTime(d.created_at)}</td>
                <td>{d.attempts}</td>
                <td data-testid="webhook-delivery-status">
                  {d.last_status_code ?? '—'} {d.last_error && <span className="small muted">{d.last_error}</span>}
                </td>
                <td>{d.delivered_at ? formatTime(d.delivered_at) : 'not yet'}</td>
                <td>
                  <button type="button" className="secondary" data-testid="webhook-redeliver" onClick={() => redeliver.mutate(d.id)}>
                    Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export default function WebhooksPage() {
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const list = $api.useQuery('get', '/api/admin/webhooks');
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['get', '/api/admin/webhooks'] });
  const remove = useMutation({
    mutationFn: async (w: Webhook) => unwrap(await api.DELETE('/api/admin/webhooks/{id}', { params: { path: { id: w.id } } })),
    onSettled: () => refresh(),
  });
  const items = list.data?.items ?? [];
  return (
    <section className="page">
      <div className="page-head">
        <h1>Administration</h1>
        {!creating && (
          <button
            type="button"
            data-testid="new-webhook-button"
            onClick={() => {
              setCreated(null);
              setCreating(true);
            }}
          >
            New webhook
          </button>
        )}
      </div>
      <AdminNav />
      {created && <NewSecret created={created} onClose={() => setCreated(null)} />}
      {creating && (
        <NewWebhookForm
          onCancel={() => setCreating(false)}
          onCreated={async (w) => {
            setCreated(w);
            setCreating(false);
            await refresh();
          }}
        />
      )}
      {remove.error !== null && <ProblemMessage error={remove.error} />}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ProblemMessage error={list.error} />
      ) : items.length === 0 ? (
        <p className="muted">No webhooks yet.</p>
      ) : (
        <ul className="plain" data-testid="webhooks-list">
          {items.map((w) => (
            <li key={w.id} className="card" data-testid="webhook-row">
              <div className="page-head">
                <span className="mono">{w.url}</span>
                <span className="small muted">{(w.kinds ?? []).map((k) => k.replaceAll('_', ' ')).join(', ')}</span>
                <span className="small muted">added {formatTime(w.created_at)}</span>
                <button type="button" className="secondary" data-testid="webhook-deliveries-toggle" onClick={() => setOpen(open === w.id ? null : w.id)}>
                  {open === w.id ? 'Hide deliveries' : 'Deliveries'}
                </button>
                <button
                  type="button"
                  className="secondary"
                  data-testid="webhook-delete"
                  onClick={() => {
                    if (window.confirm(`Remove the webhook to ${w.url} and its delivery log?`)) remove.mutate(w);
                  }}
                >
                  Remove
                </button>
              </div>
              {open === w.id && <Deliveries hook={w} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
