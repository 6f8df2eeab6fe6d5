const formats = {
  medium: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
  short: new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' }),
};

/** A timestamp from the API, in the user's locale; '—' for none. */
export function formatTime(iso: string | null | undefined, style: keyof typeof formats = 'medium'): string {
  return iso ? formats[style].format(new Date(iso)) : '—';
}
