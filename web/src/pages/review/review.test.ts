import { describe, expect, it } from 'vitest';
import { reviewNotice, reviewPath, waited } from './review';

describe('reviewPath', () => {
  it('opens recipes and SOPs on their own pages', () => {
    expect(reviewPath({ kind: 'recipe', id: 'a1' })).toBe('/recipes/a1');
    expect(reviewPath({ kind: 'sop', id: 'b2' })).toBe('/sops/b2');
  });
});

describe('reviewNotice', () => {
  const draft = { status: 'draft' as const, submitted_at: null, rejected_at: null, review_note: '' };
  it('says nothing of a plain draft', () => {
    expect(reviewNotice(draft)).toBeNull();
  });
  it('says a submitted draft awaits review, even after an earlier rejection', () => {
    expect(reviewNotice({ ...draft, submitted_at: '2026-01-02T00:00:00Z', rejected_at: '2026-01-01T00:00:00Z', review_note: 'old' })).toEqual({
      kind: 'submitted',
      at: '2026-01-02T00:00:00Z',
    });
  });
  it('shows the reason of a rejection', () => {
    expect(reviewNotice({ ...draft, rejected_at: '2026-01-01T00:00:00Z', review_note: 'Add units.' })).toEqual({
      kind: 'rejected',
      at: '2026-01-01T00:00:00Z',
      reason: 'Add units.',
    });
  });
  it('says nothing once approved', () => {
    expect(reviewNotice({ ...draft, status: 'approved', submitted_at: '2026-01-02T00:00:00Z' })).toBeNull();
  });
});

describe('waited', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  it('counts whole days', () => {
    expect(waited('2026-03-10T08:00:00Z', now)).toBe('today');
    expect(waited('2026-03-09T08:00:00Z', now)).toBe('1 day');
    expect(waited('2026-03-06T12:00:00Z', now)).toBe('4 days');
  });
});
