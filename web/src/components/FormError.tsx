import type { FieldErrors } from 'react-hook-form';

/** The form-level error applyServerErrors set (root.server), if any. */
export function FormError({ errors }: { errors: FieldErrors }) {
  const message = errors.root?.server?.message;
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert" data-testid="form-error">
      {message}
    </div>
  );
}
