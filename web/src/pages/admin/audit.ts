import type { AuditEntry } from '../../api/types';

export type { AuditEntry };

export interface Change {
  field: string;
  old?: unknown;
  new?: unknown;
}

/**
 * The fields an audit entry changed: for an update those whose value
 * differs; for an insert (or delete) every field of the new (old) row.
 */
export function auditChanges(e: Pick<AuditEntry, 'old' | 'new'>): Change[] {
  const o = e.old ?? {};
  const n = e.new ?? {};
  const keys = [...new Set([...Object.keys(o), ...Object.keys(n)])].sort();
  const both = e.old !== undefined && e.new !== undefined;
  return keys
    .filter((k) => !both || JSON.stringify(o[k]) !== JSON.stringify(n[k]))
    .map((k) => ({ field: k, ...(k in o ? { old: o[k] } : {}), ...(k in n ? { new: n[k] } : {}) }));
}

/** A value of an audit row, short enough for a table cell. */
export function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** A datetime-local input's value as an RFC 3339 timestamp (or undefined). */
export function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
