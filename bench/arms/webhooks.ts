import type { Client } from '@temporalio/client';
import { BARE_QUEUE, type BenchEnvironment } from '../environment.js';
import { closedLoop, firstTrue, openLoad } from '../load.js';
import { BARE_WORKFLOW, createPayment, type RunLedger } from '../payments.js';
import { armOrder, percentile, ratioOfMedians, round } from '../stats.js';

/**
 * 5. Webhook latency: final status → receipt at the sink, against the schedule-to-close time of B0's
 * no-op webhook activity, both at half B0's top rate, arms alternating. Then a share of the sink's
 * answers become 500s and every webhook must still arrive within the retry schedule.
 */
export async function measureWebhooks(
  env: BenchEnvironment,
  ledger: RunLedger,
  plan: { seconds: number; reps: number; refusedBatch: number },
  bareTopRate: number,
) {
  const rate = round(bareTopRate * 0.5, 1);
  const ours = async () => {
    const ids: string[] = [];
    await openLoad(rate, plan.seconds, async () => ids.push(await createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url })));
    await waitReceived(env, ids, 120_000);
    return percentile(ids.map((id) => { const r = env.sink.received.get(id)!; return r.receivedAt - r.finalAt; }), 99);
  };
  const bare = async () => {
    const ids: string[] = [];
    const stamp = Date.now();
    await openLoad(rate, plan.seconds, async () => {
      const handle = await env.temporal.workflow.start(BARE_WORKFLOW, { taskQueue: BARE_QUEUE, workflowId: `bare-webhook-${stamp}-${ids.length}`, args: [0] });
      ids.push(handle.workflowId);
      await handle.result();
    });
    return percentile(await closedLoop(ids.length, 8, (i) => webhookActivityScheduleToClose(env.temporal, ids[i]!)), 99);
  };
  const oursP99: number[] = [];
  const bareP99: number[] = [];
  for (let rep = 0; rep < plan.reps; rep++) {
    for (const arm of armOrder(['bare', 'ours'] as const, rep)) {
      if (arm === 'bare') bareP99.push(await bare());
      else oursP99.push(await ours());
    }
  }

  // A share of refusals: everything still arrives, within the (bench's short) retry schedule.
  env.sink.failFraction = 0.05;
  const refusedBefore = env.sink.refused;
  const ids = await closedLoop(plan.refusedBatch, 10, () => createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url }));
  const allArrived = await firstTrue(async () => ids.every((id) => env.sink.received.has(id)), 120_000, 50);
  env.sink.failFraction = 0;
  return {
    ratePerSecond: rate,
    p99Ratio: ratioOfMedians(oursP99, bareP99),
    oursP99Ms: oursP99.map((v) => round(v, 1)),
    bareActivityP99Ms: bareP99.map((v) => round(v, 1)),
    withRefusals: { payments: ids.length, refused: env.sink.refused - refusedBefore, delivered: ids.filter((id) => env.sink.received.has(id)).length, allDelivered: allArrived !== undefined },
  };
}

async function waitReceived(env: BenchEnvironment, ids: string[], timeoutMs: number) {
  if ((await firstTrue(async () => ids.every((id) => env.sink.received.has(id)), timeoutMs, 20)) === undefined) {
    throw new Error(`webhooks: ${ids.filter((id) => !env.sink.received.has(id)).length} of ${ids.length} never arrived`);
  }
}

/** From B0's history: when its webhook activity was scheduled until it completed. */
async function webhookActivityScheduleToClose(client: Client, workflowId: string): Promise<number> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'webhook');
  const completed = events.find((e) => e.activityTaskCompletedEventAttributes && Number(e.activityTaskCompletedEventAttributes.scheduledEventId) === Number(scheduled?.eventId));
  if (!scheduled || !completed) throw new Error(`B0 workflow ${workflowId} has no completed webhook activity`);
  return millis(completed.eventTime) - millis(scheduled.eventTime);
}

function millis(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
}
