import { BARE_QUEUE, type BenchEnvironment } from '../environment.js';
import { closedLoop, firstTrue } from '../load.js';
import { BARE_WORKFLOW, createPayment, type RunLedger } from '../payments.js';
import { alternate } from '../alternate.js';
import { median, round } from '../stats.js';

/**
 * 1. End to end: a burst of payments accepted through REST until the last webhook arrived, against a
 * burst of B0 workflows until the last one finished. Closed loop (20 creations in flight): this finds
 * the top rate each side sustains; the open-model arms then load at fractions of B0's.
 */
export async function measureEndToEnd(env: BenchEnvironment, ledger: RunLedger, plan: { burst: number; reps: number }) {
  const ours = async () => {
    const started = Date.now();
    const ids = await closedLoop(plan.burst, 20, () =>
      createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url }),
    );
    const done = await firstTrue(async () => ids.every((id) => env.sink.received.has(id)), 300_000, 20);
    if (done === undefined) throw new Error(`end to end: ${ids.filter((id) => !env.sink.received.has(id)).length} webhooks never arrived`);
    const last = Math.max(...ids.map((id) => env.sink.received.get(id)!.receivedAt));
    return plan.burst / ((last - started) / 1000);
  };
  const bare = async () => {
    const started = Date.now();
    const handles = await closedLoop(plan.burst, 20, (i) =>
      env.temporal.workflow.start(BARE_WORKFLOW, { taskQueue: BARE_QUEUE, workflowId: `bare-e2e-${started}-${i}`, args: [0] }),
    );
    await Promise.all(handles.map((h) => h.result()));
    return plan.burst / ((Date.now() - started) / 1000);
  };
  const { ours: oursPerSecond, bare: barePerSecond } = await alternate({ bare, ours }, { reps: plan.reps, warmUp: true });
  return {
    burst: plan.burst,
    ratio: round(median(oursPerSecond) / median(barePerSecond)),
    oursPerSecond: oursPerSecond.map((r) => round(r)),
    barePerSecond: barePerSecond.map((r) => round(r)),
    bareTopRate: median(barePerSecond),
  };
}
