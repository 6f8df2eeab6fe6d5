import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { toProblem } from '../api/problem';

/**
 * Shows a failed submission on the form: each of a 422's errors[] whose
 * field the form has goes under that field; the rest, and any other
 * problem, become the form's root.server error (shown by <FormError>).
 *
 *   onError: (e) => applyServerErrors(e, form.setError, ['barcode', 'name'])
 */
export function applyServerErrors<T extends FieldValues>(
  err: unknown,
  setError: UseFormSetError<T>,
  fields: readonly Path<T>[],
): void {
  const problem = toProblem(err);
  const rest: string[] = [];
  for (const fe of problem.errors ?? []) {
    const name = fields.find((f) => f === fe.field);
    if (name) setError(name, { type: 'server', message: fe.message }, { shouldFocus: true });
    else rest.push(fe.field ? `${fe.field}: ${fe.message}` : fe.message);
  }
  const placed = (problem.errors?.length ?? 0) - rest.length;
  if (placed === 0 || rest.length > 0) {
    const message = [placed === 0 ? problem.detail : '', ...rest].filter(Boolean).join(' ');
    setError('root.server', { type: String(problem.status), message });
  }
}
