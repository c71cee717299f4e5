export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (values: number[]) => percentile(values, 50);
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Open-model load: requests are due at fixed times whatever the previous ones did, and latency is
 * measured from when a request was due, so a slow server cannot hide its queue (no coordinated omission).
 */
export async function openLoad(ratePerSecond: number, seconds: number, send: () => Promise<unknown>): Promise<{ latencies: number[]; errors: number }> {
  const total = Math.round(ratePerSecond * seconds);
  const start = performance.now() + 50;
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const due = start + (i * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        await send();
        latencies.push(performance.now() - due);
      } catch {
        errors += 1;
      }
    }),
  );
  return { latencies, errors };
}
