import { describe, expect, it } from 'vitest';
import { lapsedReason, lockoutInstruments } from './lockout';

const lockout = {
  type: 'about:blank',
  title: 'Conflict',
  status: 409,
  code: 'conflict',
  detail: 'calibration lockout: Ocean Optics Spectrometer (calibration expired) may not be used until recalibrated',
  instruments: [
    { id: 'i1', name: 'Ocean Optics Spectrometer', state: 'expired', certificate_number: 'CERT-1', expires_at: '2026-10-23T00:10:50Z' },
    { id: 'i2', name: 'New SEM', state: 'missing' },
  ],
};

describe('lockoutInstruments', () => {
  it('lists the instruments of a lockout 409', () => {
    const list = lockoutInstruments(lockout);
    expect(list?.map((i) => i.name)).toEqual(['Ocean Optics Spectrometer', 'New SEM']);
    expect(list?.[0]?.certificate_number).toBe('CERT-1');
    expect(list?.map(lapsedReason)).toEqual(['calibration expired', 'never calibrated']);
  });

  it('is null for other failures', () => {
    expect(lockoutInstruments({ ...lockout, instruments: undefined })).toBeNull(); // recipe not approved
    expect(lockoutInstruments({ ...lockout, instruments: [] })).toBeNull();
    expect(lockoutInstruments({ ...lockout, status: 422 })).toBeNull();
    expect(lockoutInstruments(new Error('network'))).toBeNull();
    expect(lockoutInstruments(null)).toBeNull();
    expect(lockoutInstruments({ status: 409, instruments: [{ bogus: true }] })).toBeNull();
  });
});
