import { describe, expect, it } from 'vitest';
import { badgeText, changedPreferences, kindLabels, unreadLabel, type Preference } from './inbox';

describe('the unread badge', () => {
  it('names the count for a screen reader', () => {
    expect(unreadLabel(0)).toBe('No unread notifications');
    expect(unreadLabel(1)).toBe('1 unread notification');
    expect(unreadLabel(3)).toBe('3 unread notifications');
  });
  it('shows 99+ past 99', () => {
    expect(badgeText(7)).toBe('7');
    expect(badgeText(99)).toBe('99');
    expect(badgeText(100)).toBe('99+');
  });
});

describe('the preferences form', () => {
  const p = (kind: Preference['kind'], email = true): Preference => ({ kind, inbox: true, email, webhook: false, daily_digest: false });
  it('sends only what changed', () => {
    const initial = [p('spc_alert'), p('run_blocked')];
    expect(changedPreferences(initial, initial)).toEqual([]);
    expect(changedPreferences(initial, [p('spc_alert', false), p('run_blocked')])).toEqual([p('spc_alert', false)]);
    expect(changedPreferences(initial, [...initial, p('calibration_expired')])).toEqual([p('calibration_expired')]);
  });
  it('names every kind', () => {
    expect(Object.keys(kindLabels).sort()).toEqual(
      ['calibration_expired', 'calibration_warning', 'review_submitted', 'run_blocked', 'spc_alert'].sort(),
    );
  });
});
