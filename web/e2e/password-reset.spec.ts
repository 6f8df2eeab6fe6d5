import { expect, invitedAccount, loginWith, shot, test } from './fixtures';

// The SMTP server global-setup started beside the server; its API lists
// what the server sent.
function mailpit(): string {
  const url = process.env.SPECTRA_E2E_MAILPIT;
  if (!url) throw new Error('SPECTRA_E2E_MAILPIT unset: run through playwright.config.ts (global setup starts mailpit)');
  return url;
}

interface Summary {
  ID: string;
  To: { Address: string }[];
  Subject: string;
}

/** The reset link of the newest reset e-mail to address, waiting for it. */
async function resetLink(address: string): Promise<string> {
  let id = '';
  await expect
    .poll(
      async () => {
        const res = await fetch(`${mailpit()}/api/v1/messages?limit=200`);
        const list = (await res.json()) as { messages: Summary[] };
        id = list.messages.find((m) => m.Subject === 'Reset your SPECTRA-Lab password' && m.To[0]?.Address === address)?.ID ?? '';
        return id;
      },
      { timeout: 30_000 },
    )
    .not.toBe('');
  const msg = (await (await fetch(`${mailpit()}/api/v1/message/${id}`)).json()) as { Text: string };
  const link = /https?:\/\/\S+\/reset-password\?token=spr_[A-Za-z0-9_-]+/.exec(msg.Text)?.[0];
  expect(link, msg.Text).toBeTruthy();
  return link ?? '';
}

test('forgot password: the e-mailed link sets a new password once, and one signs in with it', async ({ page, request }, info) => {
  const account = await invitedAccount(request, 'technician');
  await page.goto('/login');
  await page.getByTestId('forgot-link').click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await page.getByTestId('forgot-email').fill(account.username);
  await page.getByTestId('forgot-submit').click();
  await expect(page.getByTestId('forgot-sent')).toContainText('a link to reset it is on its way');
  await shot(page, info, 'forgot-sent');

  const link = await resetLink(account.username);
  await page.goto(link);
  await page.getByTestId('reset-password').fill('a brand new password');
  await page.getByTestId('reset-confirm').fill('a brand new password');
  await page.getByTestId('reset-submit').click();
  await expect(page.getByTestId('reset-done')).toBeVisible();
  await shot(page, info, 'reset-done');

  // The link is spent.
  await page.goto(link);
  await page.getByTestId('reset-password').fill('yet another password');
  await page.getByTestId('reset-confirm').fill('yet another password');
  await page.getByTestId('reset-submit').click();
  await expect(page.getByRole('alert')).toContainText('no longer valid');

  await loginWith(page, { username: account.username, password: 'a brand new password' });
  await expect(page.getByTestId('user-menu')).toContainText(account.name);
});
