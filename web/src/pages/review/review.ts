// What the review pages work out from the API's answers, without React:
// where a queued item opens, and what a revision's review state says.
import type { ReviewItem } from '../../api/types';

/** The detail page a queued item opens: /recipes/:id or /sops/:id. */
export function reviewPath(item: Pick<ReviewItem, 'kind' | 'id'>): string {
  return `${item.kind === 'recipe' ? '/recipes' : '/sops'}/${item.id}`;
}

/** The review fields every revision answers with. */
export interface ReviewFields {
  status: 'draft' | 'approved' | 'retired';
  submitted_at: string | null;
  rejected_at: string | null;
  review_note: string;
}

/**
 * Where a revision is in review, for the notice on its page: awaiting
 * review (submitted), sent back with a reason (rejected, until it is
 * submitted again), or nothing to say (a plain draft, approved, retired).
 */
export type ReviewNotice = { kind: 'submitted'; at: string } | { kind: 'rejected'; at: string; reason: string } | null;

export function reviewNotice(x: ReviewFields): ReviewNotice {
  if (x.status !== 'draft') return null;
  if (x.submitted_at) return { kind: 'submitted', at: x.submitted_at };
  if (x.rejected_at) return { kind: 'rejected', at: x.rejected_at, reason: x.review_note };
  return null;
}

/** How long an item has waited, in whole days ("today", "1 day", "3 days"). */
export function waited(submittedAt: string, now: Date = new Date()): string {
  const days = Math.floor((now.getTime() - new Date(submittedAt).getTime()) / 86_400_000);
  if (!Number.isFinite(days) || days < 1) return 'today';
  return days === 1 ? '1 day' : `${days} days`;
}
