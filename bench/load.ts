/**
 * Open-model load: requests are due at fixed times whatever the previous ones did, and latency is
 * measured from when a request was due, so a slow server cannot hide its queue (no coordinated omission).
 */
export async function openLoad(
  ratePerSecond: number,
  seconds: number,
  send: () => Promise<unknown>,
): Promise<{ latencies: number[]; errors: number }> {
  const total = Math.max(1, Math.round(ratePerSecond * seconds));
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

/** `count` calls, at most `concurrency` in flight (closed loop: for saturation and loading only). */
export async function closedLoop<T>(count: number, concurrency: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await call(i);
      }
    }),
  );
  return results;
}

/** Latencies of one call repeated back to back for a while (for reads measured side by side). */
export async function repeatFor(ms: number, call: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  }
  return latencies;
}

/** Polls until `probe` is true; the time it first was, or undefined at the deadline. */
export async function firstTrue(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return Date.now();
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return undefined;
}
