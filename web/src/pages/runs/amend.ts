import type { AmendmentChange, AmendRunBody, Result, RunAmendment, RunTransition } from '../../api/types';

/** What the form does to one current result. */
export type RowChoice = { mode: 'keep' | 'correct' | 'withdraw'; value: string };

/** A result the form adds. */
export type AddedRow = { metric: string; value: string; unit: string };

/** A client-side error, named as the server names the field. */
export type FormError = { field: string; message: string };

/** The results an amendment may supersede: the current ones (a superseded result's replacement is corrected instead). */
export function currentResults(results: Result[]): Result[] {
  return results.filter((r) => !r.superseded_by);
}

/** How a result stands after amendments: the wording of the results table and the reports. */
export function standing(r: Pick<Result, 'superseded_by' | 'replaced_by' | 'amendment_id'>): 'current' | 'superseded' | 'withdrawn' | 'correction' {
  if (r.superseded_by) return r.replaced_by ? 'superseded' : 'withdrawn';
  return r.amendment_id ? 'correction' : 'current';
}

function parseValue(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

/**
 * The body of POST /runs/{id}/amendments from the form, or the errors that
 * keep it from being sent (the server checks the same and more: a blank
 * reason, a value that is not a finite number, a change-less amendment).
 */
export function buildAmendment(
  reason: string,
  choices: Record<string, RowChoice>,
  added: AddedRow[],
): { body: AmendRunBody; errors: FormError[] } {
  const errors: FormError[] = [];
  const supersede: NonNullable<AmendRunBody['supersede']> = [];
  const results: NonNullable<AmendRunBody['results']> = [];
  const body: AmendRunBody = { reason: reason.trim(), supersede, results };
  if (body.reason === '') errors.push({ field: 'reason', message: 'Say why the results are corrected.' });
  for (const [id, c] of Object.entries(choices)) {
    if (c.mode === 'withdraw') supersede.push({ result_id: id, withdraw: true });
    if (c.mode === 'correct') {
      const v = parseValue(c.value);
      if (v === null) errors.push({ field: `correct.${id}`, message: 'Enter the corrected value as a number.' });
      else supersede.push({ result_id: id, value: v });
    }
  }
  added.forEach((a, i) => {
    if (a.metric.trim() === '' && a.value.trim() === '' && a.unit.trim() === '') return; // an empty row
    const v = parseValue(a.value);
    if (a.metric.trim() === '') errors.push({ field: `add.${i}.metric`, message: 'Name the metric.' });
    if (v === null) errors.push({ field: `add.${i}.value`, message: 'Enter the value as a number.' });
    else results.push({ metric: a.metric.trim(), value: v, unit: a.unit.trim() });
  });
  if (errors.length === 0 && supersede.length === 0 && results.length === 0)
    errors.push({ field: 'supersede', message: 'Correct, withdraw or add at least one result.' });
  return { body, errors };
}

function value(v: number | null, unit: string): string {
  return v === null ? '—' : `${v}${unit ? ` ${unit}` : ''}`;
}

/** One change in words, e.g. "threshold_voltage: 0.44 V → 0.452 V". */
export function changeText(c: AmendmentChange): string {
  switch (c.kind) {
    case 'corrected':
      return `${c.metric}: ${value(c.old_value, c.unit)} → ${value(c.new_value, c.unit)}`;
    case 'withdrawn':
      return `${c.metric}: ${value(c.old_value, c.unit)} withdrawn`;
    default:
      return `${c.metric}: ${value(c.new_value, c.unit)} added`;
  }
}

/** A run's history: its status changes and its amendments, oldest first. */
export type TimelineEntry =
  | { kind: 'transition'; at: string; transition: RunTransition }
  | { kind: 'amendment'; at: string; amendment: RunAmendment };

export function runTimeline(history: RunTransition[], amendments: RunAmendment[]): TimelineEntry[] {
  const out: TimelineEntry[] = [
    ...history.map((t) => ({ kind: 'transition' as const, at: t.at, transition: t })),
    ...amendments.map((a) => ({ kind: 'amendment' as const, at: a.created_at, amendment: a })),
  ];
  // Stable: at equal times a transition (completion) comes before the amendment of it.
  return out
    .map((e, i) => ({ e, i }))
    .sort((x, y) => Date.parse(x.e.at) - Date.parse(y.e.at) || x.i - y.i)
    .map(({ e }) => e);
}
