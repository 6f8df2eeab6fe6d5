// What a series plot draws, apart from uPlot itself: which y axes start
// logarithmic, and the data a log axis can show.

/** A current spans decades: its axis starts logarithmic. */
export function logByDefault(unit: string): boolean {
  return /^(A|mA|µA|uA|nA|pA)$/.test(unit.trim());
}

/**
 * The y values as a log axis shows them: magnitudes (a sweep's negative
 * currents are plotted as |I|, as IV plots do), and null where there is
 * nothing to show (exactly zero), which uPlot leaves as a gap.
 */
export function forLogAxis(y: number[]): (number | null)[] {
  return y.map((v) => (v === 0 ? null : Math.abs(v)));
}

/** An axis label: the name with its unit in brackets, |name| on a log axis of a signed quantity. */
export function axisLabel(name: string, unit: string, magnitude = false): string {
  const n = magnitude ? `|${name}|` : name;
  return unit ? `${n} [${unit}]` : n;
}
