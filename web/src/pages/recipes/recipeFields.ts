/** "SMU, spectrometer ,," → ['SMU', 'spectrometer'] */
export function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** '' → undefined (not given); anything else → its number. */
export function numberOrUndefined(s: string): number | undefined {
  const t = s.trim();
  return t === '' ? undefined : Number(t);
}

/** The server's field names (parameters[1].max) as form paths (parameters.1.max). */
export function serverFieldToPath(field: string): string {
  return field.replace(/\[(\d+)\]/g, '.$1');
}
