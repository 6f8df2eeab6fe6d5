import { describe, expect, it } from 'vitest';
import { ACCEPT_PATH, acceptLink, tokenFromHash } from './link';

describe('invitation links', () => {
  it('puts the token in the fragment, never the query', () => {
    const link = acceptLink('https://lims.example.org', 'sin_abc.DEF-123');
    expect(link).toBe('https://lims.example.org/invitations/accept#token=sin_abc.DEF-123');
    const url = new URL(link);
    expect(url.pathname).toBe(ACCEPT_PATH);
    expect(url.search).toBe('');
    expect(tokenFromHash(url.hash)).toBe('sin_abc.DEF-123');
  });

  it('survives a trailing slash on the origin and characters that need escaping', () => {
    const token = 'sin_a+b/c=d&e';
    const link = acceptLink('http://127.0.0.1:8080/', token);
    expect(link.startsWith('http://127.0.0.1:8080/invitations/accept#token=')).toBe(true);
    expect(link).not.toContain('&e');
    expect(tokenFromHash(new URL(link).hash)).toBe(token);
  });

  it('reads the token from a fragment with or without "#", among other parameters', () => {
    expect(tokenFromHash('#token=sin_x')).toBe('sin_x');
    expect(tokenFromHash('token=sin_x')).toBe('sin_x');
    expect(tokenFromHash('#a=1&token=sin_y&b=2')).toBe('sin_y');
    expect(tokenFromHash('#token=%20sin_z%20')).toBe('sin_z');
  });

  it('is empty when there is no token', () => {
    expect(tokenFromHash('')).toBe('');
    expect(tokenFromHash('#')).toBe('');
    expect(tokenFromHash('#other=1')).toBe('');
    expect(tokenFromHash('#token=')).toBe('');
  });
});
