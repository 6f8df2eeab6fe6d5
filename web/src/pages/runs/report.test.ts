import { describe, expect, it } from 'vitest';
import { dispositionFilename } from './report';

describe('dispositionFilename', () => {
  it('reads the server’s file name', () => {
    expect(dispositionFilename('attachment; filename="run-01a2.csv"', 'x.csv')).toBe('run-01a2.csv');
    expect(dispositionFilename("attachment; filename*=UTF-8''run%20a.csv", 'x.csv')).toBe('run a.csv');
  });
  it('falls back without one', () => {
    expect(dispositionFilename(null, 'x.csv')).toBe('x.csv');
    expect(dispositionFilename('inline', 'x.csv')).toBe('x.csv');
  });
});
