import { describe, expect, it } from 'vitest';
import { axisLabel, forLogAxis, logByDefault } from './plotdata';

describe('series plot data', () => {
  it('starts current axes logarithmic, others linear', () => {
    expect(logByDefault('A')).toBe(true);
    expect(logByDefault('nA')).toBe(true);
    expect(logByDefault('V')).toBe(false);
    expect(logByDefault('')).toBe(false);
    expect(logByDefault('counts')).toBe(false);
  });
  it('plots magnitudes on a log axis, with gaps at zero', () => {
    expect(forLogAxis([-1e-9, 0, 2e-3])).toEqual([1e-9, null, 2e-3]);
  });
  it('labels axes with units in brackets', () => {
    expect(axisLabel('V', 'V')).toBe('V [V]');
    expect(axisLabel('I', 'A', true)).toBe('|I| [A]');
    expect(axisLabel('counts', '')).toBe('counts');
  });
});
