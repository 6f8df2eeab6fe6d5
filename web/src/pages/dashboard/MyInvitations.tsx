import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { $api } from '../../api/client';
import { authQueries } from '../../api/queries';
import type { PendingInvitation } from '../../api/types';
import { useAuth } from '../../auth/context';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatTime } from '../../components/time';

const listPath = '/auth/invitations';

/**
 * Open invitations addressed to the signed-in person, from any
 * organization (nothing when there are none). Accepting makes them a
 * member; /auth/me is read again so the organization switcher shows it.
 */
export function MyInvitations() {
  const { reloadMe, switchOrg } = useAuth();
  const queryClient = useQueryClient();
  const [joined, setJoined] = useState<PendingInvitation | null>(null);
  const [switchError, setSwitchError] = useState<unknown>(null);
  const list = $api.useQuery('get', listPath);
  const accept = $api.useMutation('post', '/auth/invitations/{id}/accept', {
    onSuccess: async () => {
      await reloadMe();
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: authQueries.myInvitations() }),
  });

  const items = list.data?.items ?? [];
  if (items.length === 0 && !joined && !accept.isError) return null;
  return (
    <section className="card wide" aria-labelledby="my-inv-h" data-testid="my-invitations">
      <h2 id="my-inv-h">Invitations for you</h2>
      {joined && (
        <div className="alert alert-info" role="status" data-testid="invitation-accepted">
          You are now a member of {joined.organization_name} ({joined.role}).{' '}
          <button
            type="button"
            className="link"
            data-testid="switch-to-joined"
            onClick={async () => {
              setSwitchError(null);
              try {
                await switchOrg(joined.organization);
              } catch (err) {
                setSwitchError(err);
              }
            }}
          >
            Switch to it
          </button>{' '}
          (or later, from the organization list in the user menu).
        </div>
      )}
      {switchError !== null && <ProblemMessage error={switchError} />}
      {accept.isError && <ProblemMessage error={accept.error} />}
      {items.length > 0 && (
        <ul className="alerts">
          {items.map((inv) => (
            <li key={inv.id} data-testid="my-invitation" data-organization={inv.organization}>
              <strong>{inv.organization_name}</strong> invites you as <strong>{inv.role}</strong>{' '}
              <span className="muted small">(until {formatTime(inv.expires_at)})</span>{' '}
              <button
                type="button"
                data-testid="accept-my-invitation"
                disabled={accept.isPending}
                onClick={() =>
                  accept.mutate(
                    { params: { path: { id: inv.id } } },
                    {
                      onSuccess: () => {
                        setJoined(inv);
                      },
                    },
                  )
                }
              >
                Accept
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
