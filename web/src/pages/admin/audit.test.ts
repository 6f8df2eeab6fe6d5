import { describe, expect, it } from 'vitest';
import { auditChanges, localToIso, showValue } from './audit';

describe('auditChanges', () => {
  it('keeps only the fields an update changed', () => {
    expect(auditChanges({ old: { role: 'viewer', name: 'A', version: 1 }, new: { role: 'engineer', name: 'A', version: 2 } })).toEqual([
      { field: 'role', old: 'viewer', new: 'engineer' },
      { field: 'version', old: 1, new: 2 },
    ]);
  });
  it('lists every field of an insert or a delete', () => {
    expect(auditChanges({ new: { a: 1, b: null } })).toEqual([
      { field: 'a', new: 1 },
      { field: 'b', new: null },
    ]);
    expect(auditChanges({ old: { a: 1 } })).toEqual([{ field: 'a', old: 1 }]);
    expect(auditChanges({})).toEqual([]);
  });
  it('compares nested values by content', () => {
    expect(auditChanges({ old: { m: { x: 1 } }, new: { m: { x: 1 } } })).toEqual([]);
  });
});

describe('showValue', () => {
  it('shows strings bare and the rest as JSON, shortened', () => {
    expect(showValue('x')).toBe('x');
    expect(showValue(null)).toBe('null');
    expect(showValue({ a: [1] })).toBe('{"a":[1]}');
    expect(showValue('y'.repeat(500))).toHaveLength(158);
  });
});

describe('localToIso', () => {
  it('converts or drops', () => {
    expect(localToIso('')).toBeUndefined();
    expect(localToIso('garbage')).toBeUndefined();
    expect(localToIso('2026-11-01T10:00')).toBe(new Date('2026-11-01T10:00').toISOString());
  });
});
