export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (values: number[]) => percentile(values, 50);
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
/** Ratio of two medians, rounded: how every figure of the report is stated. */
export const ratioOfMedians = (arm: number[], baseline: number[]) => round(median(arm) / median(baseline));

/** The arms in the order a repetition runs them: reversed every other time (ABBA), so a drift in the
 * machine's load over the run favours no arm. */
export const armOrder = <T>(arms: readonly T[], rep: number): T[] => (rep % 2 === 0 ? [...arms] : [...arms].reverse());
