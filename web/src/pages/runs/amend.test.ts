import { describe, expect, it } from 'vitest';
import type { AmendmentChange, Result, RunAmendment, RunTransition } from '../../api/types';
import { buildAmendment, changeText, currentResults, runTimeline, standing } from './amend';

const result = (id: string, over: Partial<Result> = {}): Result => ({
  id,
  run_id: 'run',
  device_id: null,
  metric: 'threshold_voltage',
  value: 0.44,
  unit: 'V',
  measured_at: '2026-01-01T10:00:00Z',
  created_by: null,
  derivation: null,
  amendment_id: null,
  superseded_by: null,
  replaced_by: null,
  ...over,
});

describe('buildAmendment', () => {
  it('sends corrections, withdrawals and additions, trimmed', () => {
    const { body, errors } = buildAmendment(
      '  offset  ',
      { a: { mode: 'correct', value: ' 0.452 ' }, b: { mode: 'withdraw', value: '' }, c: { mode: 'keep', value: '9' } },
      [{ metric: ' leak ', value: '2e-9', unit: 'A' }, { metric: '', value: '', unit: '' }],
    );
    expect(errors).toEqual([]);
    expect(body).toEqual({
      reason: 'offset',
      supersede: [{ result_id: 'a', value: 0.452 }, { result_id: 'b', withdraw: true }],
      results: [{ metric: 'leak', value: 2e-9, unit: 'A' }],
    });
  });
  it('names what keeps it from being sent', () => {
    const { errors } = buildAmendment(' ', { a: { mode: 'correct', value: 'abc' } }, [{ metric: '', value: 'Infinity', unit: '' }]);
    expect(errors.map((e) => e.field)).toEqual(['reason', 'correct.a', 'add.0.metric', 'add.0.value']);
  });
  it('refuses an amendment that changes nothing', () => {
    const { errors } = buildAmendment('why', { a: { mode: 'keep', value: '' } }, []);
    expect(errors.map((e) => e.field)).toEqual(['supersede']);
  });
});

describe('standing and currentResults', () => {
  const rs = [
    result('old', { superseded_by: 'am', replaced_by: 'new' }),
    result('new', { amendment_id: 'am' }),
    result('gone', { superseded_by: 'am' }),
    result('kept'),
  ];
  it('words each result', () => {
    expect(rs.map(standing)).toEqual(['superseded', 'correction', 'withdrawn', 'current']);
  });
  it('offers only current results to supersede', () => {
    expect(currentResults(rs).map((r) => r.id)).toEqual(['new', 'kept']);
  });
});

describe('changeText', () => {
  const c = (over: Partial<AmendmentChange>): AmendmentChange => ({
    kind: 'corrected',
    metric: 'vth',
    unit: 'V',
    result_id: 'a',
    new_result_id: 'b',
    old_value: 0.44,
    new_value: 0.452,
    ...over,
  });
  it('says old → new, withdrawn, added', () => {
    expect(changeText(c({}))).toBe('vth: 0.44 V → 0.452 V');
    expect(changeText(c({ kind: 'withdrawn', new_value: null }))).toBe('vth: 0.44 V withdrawn');
    expect(changeText(c({ kind: 'added', old_value: null, unit: '' }))).toBe('vth: 0.452 added');
  });
});

describe('runTimeline', () => {
  const t = (at: string, to: string): RunTransition => ({ at, to, from: null, reason: '', actor_id: null });
  const a = (at: string, reason: string): RunAmendment => ({
    id: reason,
    run_id: 'run',
    reason,
    author_id: null,
    author_name: 'Eng',
    created_at: at,
    changes: [],
  });
  it('merges transitions and amendments by time, a transition first at the same time', () => {
    const out = runTimeline(
      [t('2026-01-01T09:00:00Z', 'planned'), t('2026-01-01T10:00:00Z', 'completed')],
      [a('2026-01-02T08:00:00Z', 'second'), a('2026-01-01T10:00:00Z', 'first')],
    );
    expect(out.map((e) => (e.kind === 'transition' ? e.transition.to : e.amendment.reason))).toEqual([
      'planned',
      'completed',
      'first',
      'second',
    ]);
  });
});
