import type { SignMeaning } from '../../api/types';
import { Field } from '../../components/Field';
import { SignatureDialog } from '../../forms/SignatureDialog';

interface SignValues {
  meaning: SignMeaning;
  password: string;
}

export const meanings: { value: SignMeaning; text: string }[] = [
  { value: 'authored', text: 'Authored — I wrote this entry' },
  { value: 'reviewed', text: 'Reviewed — I checked this entry' },
  { value: 'approved', text: 'Approved — I approve this entry' },
];

/**
 * The e-signature of an entry: the meaning of the signature and the
 * signer's password again (SignatureDialog).
 */
export function SignDialog({
  open,
  title,
  onClose,
  onSign,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  onSign: (v: SignValues) => Promise<unknown>;
}) {
  return (
    <SignatureDialog<SignValues>
      open={open}
      title={`Sign “${title}”`}
      testId="sign-dialog"
      defaults={{ meaning: 'authored', password: '' }}
      fields={['meaning', 'password']}
      clearPasswordOnError
      intro="Your signature records your name, role, the time, its meaning and a SHA-256 digest of the entry as it stands. The entry is then locked; later corrections are amendments."
      before={(form) => (
        <Field label="Meaning" error={form.formState.errors.meaning}>
          <select data-testid="sign-meaning" {...form.register('meaning')}>
            {meanings.map((m) => (
              <option key={m.value} value={m.value}>
                {m.text}
              </option>
            ))}
          </select>
        </Field>
      )}
      confirm="Sign"
      onClose={onClose}
      onSign={onSign}
    />
  );
}
