import type { LapsedInstrument } from '../../api/types';

export type { LapsedInstrument };

/**
 * The instruments of a calibration-lockout 409 (POST /runs, POST
 * /runs/{id}/start), or null when err is any other failure (e.g. the 409
 * for a recipe that is not approved, which names no instrument).
 */
export function lockoutInstruments(err: unknown): LapsedInstrument[] | null {
  if (typeof err !== 'object' || err === null) return null;
  const p = err as { status?: unknown; instruments?: unknown };
  if (p.status !== 409 || !Array.isArray(p.instruments) || p.instruments.length === 0) return null;
  const list = p.instruments.filter(
    (i): i is LapsedInstrument =>
      typeof i === 'object' && i !== null && typeof (i as LapsedInstrument).id === 'string' && typeof (i as LapsedInstrument).name === 'string',
  );
  return list.length ? list : null;
}

/** "calibration expired" / "never calibrated" for a lapsed instrument. */
export function lapsedReason(i: LapsedInstrument): string {
  return i.state === 'missing' ? 'never calibrated' : 'calibration expired';
}
