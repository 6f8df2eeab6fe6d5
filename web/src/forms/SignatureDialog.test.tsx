import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { SignDialog } from '../pages/eln/SignDialog';
import { ApproveDialog } from '../pages/methods/methodParts';

// The server's answer to a wrong password: 401 naming the field.
const wrongPassword = {
  type: 'about:blank',
  title: 'Unauthorized',
  status: 401,
  code: 'unauthorized',
  detail: 'the password is wrong',
  errors: [{ field: 'password', message: 'is wrong' }],
};

describe('SignatureDialog', () => {
  it('signs an ELN entry with a meaning; a wrong password shows at the field, and is cleared', async () => {
    const onSign = vi.fn().mockRejectedValueOnce(wrongPassword).mockResolvedValueOnce(undefined);
    render(<SignDialog open title="Run 7" onClose={() => {}} onSign={onSign} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByTestId('sign-meaning'), 'reviewed');
    await user.type(screen.getByTestId('sign-password'), 'nope');
    await user.click(screen.getByTestId('sign-confirm'));
    expect(onSign).toHaveBeenCalledWith({ meaning: 'reviewed', password: 'nope' });
    expect(await screen.findByText('is wrong')).toBeTruthy();
    expect((screen.getByTestId('sign-password') as HTMLInputElement).value).toBe('');
  });

  it('approves a revision with a comment; a wrong password shows at the field, and stays', async () => {
    const onApprove = vi.fn().mockRejectedValueOnce(wrongPassword);
    render(<ApproveDialog open what="IV Sweep rev. 2" onClose={() => {}} onApprove={onApprove} />);
    const user = userEvent.setup();
    expect(screen.getByTestId('approve-dialog')).toBeTruthy();
    await user.type(screen.getByTestId('approve-password'), 'nope');
    await user.type(screen.getByTestId('approve-comment'), 'fine');
    await user.click(screen.getByTestId('approve-confirm'));
    expect(onApprove).toHaveBeenCalledWith({ password: 'nope', comment: 'fine' });
    expect(await screen.findByText('is wrong')).toBeTruthy();
    await waitFor(() => expect((screen.getByTestId('approve-password') as HTMLInputElement).value).toBe('nope'));
  });

  it('asks for the password before signing', async () => {
    const onSign = vi.fn();
    render(<SignDialog open title="Run 7" onClose={() => {}} onSign={onSign} />);
    await userEvent.setup().click(screen.getByTestId('sign-confirm'));
    expect(await screen.findByText('Enter your password to sign.')).toBeTruthy();
    expect(onSign).not.toHaveBeenCalled();
  });
});
