// The inbox's pure logic: what the badge says, the kinds' names, and
// which preferences a form changed.
import type { components } from '../../api/schema';

export type Notification = components['schemas']['Notification'];
export type Preference = components['schemas']['NotificationPreference'];
export type Kind = Preference['kind'];

/** The badge's accessible name: "3 unread notifications". */
export function unreadLabel(n: number): string {
  if (n <= 0) return 'No unread notifications';
  return n === 1 ? '1 unread notification' : `${n} unread notifications`;
}

/** The badge's text: the count, 99+ beyond. */
export function badgeText(n: number): string {
  return n > 99 ? '99+' : String(n);
}

/** Each kind as the preferences form names it. */
export const kindLabels: Record<Kind, string> = {
  calibration_warning: 'Calibration due soon',
  calibration_expired: 'Calibration expired',
  review_submitted: 'Submitted for review',
  spc_alert: 'SPC alert',
  run_blocked: 'Run blocked',
};

/** The preferences of current that differ from initial (what a PUT sends). */
export function changedPreferences(initial: Preference[], current: Preference[]): Preference[] {
  const before = new Map(initial.map((p) => [p.kind, p]));
  return current.filter((p) => {
    const b = before.get(p.kind);
    return !b || b.inbox !== p.inbox || b.email !== p.email || b.webhook !== p.webhook || b.daily_digest !== p.daily_digest;
  });
}
