import { describe, expect, it } from 'vitest';
import { ssoFailureMessage, ssoFailureReasons } from './ssoFailure';

const message = (query: string) => ssoFailureMessage(new URLSearchParams(query));

describe('ssoFailureMessage', () => {
  it('says each reason the server sends in its own words', () => {
    expect(ssoFailureReasons.sort()).toEqual(
      ['account_refused', 'no_organization', 'no_role', 'provider_error', 'provider_unavailable', 'state_mismatch', 'token_invalid'],
    );
    const seen = new Set<string>();
    for (const reason of ssoFailureReasons) {
      const m = message(`error=sso_failed&reason=${reason}`);
      expect(m).toBeTruthy();
      expect(m).not.toContain(reason);
      seen.add(m ?? '');
    }
    expect(seen.size).toBe(ssoFailureReasons.length);
    expect(message('error=sso_failed&reason=no_role')).toMatch(/no role/);
    expect(message('error=sso_failed&reason=no_organization')).toMatch(/not assigned to a laboratory/);
    expect(message('error=sso_failed&reason=state_mismatch')).toMatch(/sign in again/);
  });

  it('falls back to a general message for an unknown or missing reason', () => {
    const general = message('error=sso_failed');
    expect(general).toMatch(/try again/);
    expect(message('error=sso_failed&reason=something_new')).toBe(general);
    expect(message('error=sso_failed&reason=toString')).toBe(general);
    expect(message('error=sso_failed&reason=__proto__')).toBe(general);
  });

  it('is null without a single sign-on failure', () => {
    expect(message('')).toBeNull();
    expect(message('next=/samples')).toBeNull();
    expect(message('error=other&reason=no_role')).toBeNull();
  });
});
