import type { Client } from '@temporalio/client';
import { BARE_QUEUE, type BenchEnvironment } from '../environment.js';
import { closedLoop, firstTrue, openLoad } from '../load.js';
import { BARE_WORKFLOW, createPayment, type RunLedger } from '../payments.js';
import { alternate } from '../alternate.js';
import { percentile, ratioOfMedians, round } from '../stats.js';

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
  const oursIds: string[] = [];
  const ours = async () => {
    const ids: string[] = [];
    await openLoad(rate, plan.seconds, async () =>
      ids.push(await createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url })),
    );
    await waitReceived(env, ids, 120_000);
    oursIds.push(...ids);
    return percentile(
      ids.map((id) => {
        const r = env.sink.received.get(id)!;
        return r.receivedAt - r.finalAt;
      }),
      99,
    );
  };
  const bare = async () => {
    const ids: string[] = [];
    const stamp = Date.now();
    await openLoad(rate, plan.seconds, async () => {
      const handle = await env.temporal.workflow.start(BARE_WORKFLOW, {
        taskQueue: BARE_QUEUE,
        workflowId: `bare-webhook-${stamp}-${ids.length}`,
        args: [0],
      });
      ids.push(handle.workflowId);
      await handle.result();
    });
    const timings = await closedLoop(ids.length, 8, async (i) => {
      const [charge, webhook] = await activityTimes(env.temporal, ids[i]!, ['charge', 'webhook']);
      return { ...webhook!, chargeClosed: charge!.closed };
    });
    bareScheduleToStart.push(...timings.map((t) => t.started - t.scheduled));
    bareChargeToWebhook.push(...timings.map((t) => t.closed - t.chargeClosed));
    return percentile(
      timings.map((t) => t.closed - t.scheduled),
      99,
    );
  };
  const bareScheduleToStart: number[] = [];
  const bareChargeToWebhook: number[] = [];
  const { ours: oursP99, bare: bareP99 } = await alternate({ bare, ours }, { reps: plan.reps });

  // Where our time goes, from the histories of a sample. The capture makes the own webhook's first
  // attempt right after writing the final state: those are received before the capture completes. A
  // webhook left to the delivery activity (a failed first attempt) is split into final state →
  // delivery scheduled (the workflow task), scheduled → started (Temporal's dispatch), started → received.
  const sample = oursIds.slice(-Math.min(oursIds.length, 100));
  const segments = await closedLoop(sample.length, 8, async (i) => {
    const id = sample[i]!;
    const receipt = env.sink.received.get(id)!;
    const finalToReceipt = receipt.receivedAt - receipt.finalAt;
    const [t] = await activityTimes(env.temporal, id, ['deliverWebhookMessage'], { optional: true });
    if (!t) return { finalToReceipt };
    return {
      finalToReceipt,
      toScheduled: t.scheduled - receipt.finalAt,
      scheduleToStart: t.started - t.scheduled,
      startToReceipt: receipt.receivedAt - t.started,
    };
  });
  const spread = (values: number[]) => ({ p50: round(percentile(values, 50), 1), p99: round(percentile(values, 99), 1) });
  const viaActivity = segments.filter((x) => x.toScheduled !== undefined);
  const byCapture = segments.filter((x) => x.toScheduled === undefined);
  const breakdownMs = {
    sample: segments.length,
    sentByCapture: byCapture.length,
    byCaptureFinalToReceipt: byCapture.length ? spread(byCapture.map((x) => x.finalToReceipt)) : null,
    viaActivity: viaActivity.length
      ? {
          finalToScheduled: spread(viaActivity.map((x) => x.toScheduled!)),
          scheduleToStart: spread(viaActivity.map((x) => x.scheduleToStart!)),
          startToReceipt: spread(viaActivity.map((x) => x.startToReceipt!)),
        }
      : null,
    bareScheduleToStart: spread(bareScheduleToStart),
    // B0's charge completion → its webhook activity's completion: its span from the money moving to the notification.
    bareChargeToWebhook: spread(bareChargeToWebhook),
  };

  // A share of refusals: everything still arrives, within the (bench's short) retry schedule.
  env.sink.failFraction = 0.05;
  const refusedBefore = env.sink.refused;
  const ids = await closedLoop(plan.refusedBatch, 10, () =>
    createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url }),
  );
  const allArrived = await firstTrue(async () => ids.every((id) => env.sink.received.has(id)), 120_000, 50);
  env.sink.failFraction = 0;
  return {
    ratePerSecond: rate,
    p99Ratio: ratioOfMedians(oursP99, bareP99),
    oursP99Ms: oursP99.map((v) => round(v, 1)),
    bareActivityP99Ms: bareP99.map((v) => round(v, 1)),
    breakdownMs,
    withRefusals: {
      payments: ids.length,
      refused: env.sink.refused - refusedBefore,
      delivered: ids.filter((id) => env.sink.received.has(id)).length,
      allDelivered: allArrived !== undefined,
    },
  };
}

async function waitReceived(env: BenchEnvironment, ids: string[], timeoutMs: number) {
  if ((await firstTrue(async () => ids.every((id) => env.sink.received.has(id)), timeoutMs, 20)) === undefined) {
    throw new Error(`webhooks: ${ids.filter((id) => !env.sink.received.has(id)).length} of ${ids.length} never arrived`);
  }
}

/**
 * When each named activity of a workflow (its first) was scheduled, started (its last attempt) and
 * closed, from the history; `optional`: undefined for one the workflow never scheduled.
 */
async function activityTimes(client: Client, workflowId: string, activityTypes: string[], { optional = false } = {}) {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return activityTypes.map((activityType) => {
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
    const of = (e: (typeof events)[number], attributes: { scheduledEventId?: unknown } | null | undefined) =>
      attributes && Number(attributes.scheduledEventId) === Number(scheduled?.eventId) ? e : undefined;
    if (!scheduled && optional) return undefined;
    const started = events.find((e) => of(e, e.activityTaskStartedEventAttributes));
    const closed = events.find((e) => of(e, e.activityTaskCompletedEventAttributes));
    if (!scheduled || !started || !closed) throw new Error(`${workflowId} has no completed ${activityType} activity`);
    return { scheduled: millis(scheduled.eventTime), started: millis(started.eventTime), closed: millis(closed.eventTime) };
  });
}

function millis(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
}
