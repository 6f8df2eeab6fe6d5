const tones: Record<string, string> = {
  valid: 'ok',
  completed: 'ok',
  expiring: 'warn',
  running: 'info',
  planned: 'info',
  expired: 'bad',
  missing: 'bad',
  failed: 'bad',
  blocked: 'bad',
  aborted: 'muted',
  not_required: 'muted',
  deployed: 'ok',
  validated: 'info',
  retryable: 'warn',
  discarded: 'bad',
  cancelled: 'muted',
  scheduled: 'info',
  available: 'info',
};

/** A status word in a coloured pill; the colour follows the word. */
export function Badge({ value, testId }: { value: string; testId?: string }) {
  return (
    <span className={`badge badge-${tones[value] ?? 'muted'}`} data-testid={testId}>
      {value.replaceAll('_', ' ')}
    </span>
  );
}
