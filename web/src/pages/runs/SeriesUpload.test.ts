import { describe, expect, it } from 'vitest';
import { mediaType } from './SeriesUpload';

describe('instrument file media types', () => {
  it('names each format the server reads', () => {
    expect(mediaType('W1-IV.CSV')).toBe('text/csv');
    expect(mediaType('scan.tsv')).toBe('text/tab-separated-values');
    expect(mediaType('film.jdx')).toBe('chemical/x-jcamp-dx');
    expect(mediaType('pattern.xy')).toBe('text/plain');
    expect(mediaType('noextension')).toBe('text/plain');
  });
});
