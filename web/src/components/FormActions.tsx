/** A form's buttons: submit (busy while the request runs) and cancel. */
export function FormActions({
  testId,
  busy,
  onCancel,
  label = 'Save',
}: {
  testId: string;
  busy: boolean;
  onCancel: () => void;
  label?: string;
}) {
  return (
    <div className="actions">
      <button type="submit" data-testid={testId} disabled={busy}>
        {busy ? 'Saving…' : label}
      </button>
      <button type="button" className="secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
