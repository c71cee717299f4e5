import type { BenchEnvironment } from '../environment.js';
import { openLoad } from '../load.js';
import { createPayment, type Door, type RunLedger } from '../payments.js';
import { alternate } from '../alternate.js';
import { percentile, ratioOfMedians, round } from '../stats.js';

/**
 * 3. API overhead: REST and tRPC create against B-direct (a plain `client.workflow.start` of the same
 * workflow), open model at fractions of B0's top rate, arms alternating. The payments sleep an hour,
 * so the worker's share of the machine is the same small one in every arm.
 */
export async function measureCreate(
  env: BenchEnvironment,
  ledger: RunLedger,
  plan: { seconds: number; reps: number },
  bareTopRate: number,
) {
  const atRates = [];
  let errors = 0;
  for (const fraction of [0.5, 0.8]) {
    const rate = round(bareTopRate * fraction, 1);
    const send = (door: Door) => () => createPayment(env, ledger, door, { amount: 1, currency: 'EUR', delaySeconds: 3600 });
    const measure = (door: Door) => async () => {
      const r = await openLoad(rate, plan.seconds, send(door));
      errors += r.errors;
      return { p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99) };
    };
    const runs = await alternate(
      { direct: measure('direct'), rest: measure('rest'), trpc: measure('trpc') },
      { reps: plan.reps, warmUp: (door) => openLoad(rate, 1, send(door)) },
    );
    const p50 = (door: Door) => runs[door].map((r) => r.p50);
    const p99 = (door: Door) => runs[door].map((r) => r.p99);
    const ms = (values: number[]) => round(percentile(values, 50), 1);
    atRates.push({
      fraction,
      ratePerSecond: rate,
      restP50Ratio: ratioOfMedians(p50('rest'), p50('direct')),
      restP99Ratio: ratioOfMedians(p99('rest'), p99('direct')),
      trpcP50Ratio: ratioOfMedians(p50('trpc'), p50('direct')),
      trpcP99Ratio: ratioOfMedians(p99('trpc'), p99('direct')),
      msP50: { direct: ms(p50('direct')), rest: ms(p50('rest')), trpc: ms(p50('trpc')) },
      msP99: { direct: ms(p99('direct')), rest: ms(p99('rest')), trpc: ms(p99('trpc')) },
    });
  }
  return { errors, atRates };
}
