import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { parseToolConfig } from '../../common/config.js';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { PAYMENT_WORKFLOW_TYPE, type PaymentFields } from '../../common/workflow-api.js';
import { DEMO_MERCHANT_ID } from '../../db/schema.js';
import { createMerchant } from '../../api/merchants.js';
import { restCaller, startTestSystem, startWebhookReceiver, waitFor, type TestSystem } from '../harness.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/histories', import.meta.url));
const EventType = temporal.api.enums.v1.EventType;
const History = temporal.api.history.v1.History;

let system: TestSystem;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const fresh = new Map<string, temporal.api.history.v1.IHistory>();
const paymentIds = new Map<string, string>();

/** One payment per path through the workflow; their histories are replayed below. */
const SCENARIOS = {
  'completed-delay-0': { delaySeconds: 0, data: {} },
  'completed-delay-1': { delaySeconds: 1, data: {} },
  declined: { delaySeconds: 0, data: { simulate: 'decline' } },
  'capture-failed-voided': { delaySeconds: 0, data: { simulate: 'capture_fail' } },
  canceled: { delaySeconds: 60, data: {}, cancel: true },
  'processed-now': { delaySeconds: 60, data: {}, processNow: true },
  // The Go contract: canceled without calling webhook_url (patched 'go-contract-cancel-without-webhook').
  'go-canceled': { delaySeconds: 60, data: {}, cancel: true, legacy: true },
  // Started around the API with data the database refuses (patched 'projection-refusal-ends-payment').
  'projection-refused': { delaySeconds: 0, data: { note: 'a\u0000b' }, direct: true },
  // Manual capture: authorized, awaiting capture, then 400 of the 1000 captured.
  'manual-captured': { delaySeconds: 0, data: {}, captureMethod: 'manual', capture: 400 },
  // Amended while pending: a later schedule (the timer re-armed, patched 'amend-rearms-delay'), then one already past.
  amended: { delaySeconds: 60, data: {}, amend: [{ delaySeconds: 120, amount: 1500 }, { delaySeconds: 0 }] },
  // Authorized along the merchant's route (patched 'connector-routing'): here the built-in simulator.
  'routed-completed': { delaySeconds: 0, data: {} },
  // A merchant's route whose first connector (Stripe, refusing connections) is left for a simulator account.
  'failover-completed': { delaySeconds: 0, data: { paymentMethodToken: 'pm_card_visa' }, failover: true },
  // The charge opened in one local activity (patched 'charge-opens-in-one-write'): with `created` when due at once, without after a delay.
  'opened-at-once': { delaySeconds: 0, data: {} },
  'opened-after-delay': { delaySeconds: 1, data: {} },
  // Due at once and started around the API, as if the API died between the start and its write.
  'opened-without-api-write': { delaySeconds: 0, data: {}, direct: true },
  // The own webhook's delivery writes its outcome on the payment (the receiver refuses the capture's first attempt).
  'own-webhook-recorded-by-delivery': { delaySeconds: 0, data: { receiver: 'refuse-first' } },
  // The capture writes `completed` itself, and the delivery the own webhook's outcome: one local activity in all.
  'completed-by-capture': { delaySeconds: 0, data: {} },
  // The capture also makes the own webhook's first attempt, delivered: no delivery activity at all.
  'own-webhook-sent-by-capture': { delaySeconds: 0, data: {} },
} as const;

/** A merchant whose route is a Stripe account nobody answers for, then a simulator account. */
async function failoverMerchant(): Promise<ReturnType<typeof restCaller>> {
  const merchant = await createMerchant(system.database.db, 'History failover');
  const call = restCaller(system.apiUrl, { 'x-api-key': merchant.apiKey.key });
  for (const account of [
    { kind: 'stripe', label: 'Unreachable Stripe', credentials: { secretKey: 'sk_test_history0000' } },
    { kind: 'simulator', label: 'Backup' },
  ]) {
    const created = await call('POST', '/api/v1/connectors', account);
    expect(created.status, created.text).toBe(201);
  }
  return call;
}

/** Starts a payment as the API would, without the API's validation. */
async function startDirectly(data: Record<string, unknown>): Promise<{ id: string }> {
  const paymentId = newPaymentId();
  const fields: PaymentFields = {
    paymentId,
    merchantId: DEMO_MERCHANT_ID,
    paymentMethodId: null,
    reference: paymentReference(paymentId),
    amount: 1000,
    currency: 'USD',
    delaySeconds: 0,
    webhookUrl: null,
    data,
    description: null,
    createdAt: paymentCreatedAt(paymentId),
  };
  await system.temporal.workflow.start(PAYMENT_WORKFLOW_TYPE, {
    workflowId: paymentId,
    taskQueue: system.config.TEMPORAL_TASK_QUEUE,
    args: [fields],
  });
  return { id: paymentId };
}

beforeAll(async () => {
  // Nothing listens on port 9 (discard): the failover scenario's Stripe refuses every connection.
  system = await startTestSystem({ env: { STRIPE_API_URL: 'http://127.0.0.1:9' } });
  // A payment whose data asks for it has its first attempt answered 500, so its delivery activity takes over.
  const refused = new Set<unknown>();
  receiver = await startWebhookReceiver((_n, body) => {
    if ((body.data as { receiver?: string } | undefined)?.receiver !== 'refuse-first' || refused.has(body.payment_id)) return 200;
    refused.add(body.payment_id);
    return 500;
  });
  await Promise.all(
    Object.entries(SCENARIOS).map(async ([name, scenario]) => {
      const p =
        'failover' in scenario
          ? ((
              await (
                await failoverMerchant()
              )('POST', '/api/v1/payments', { amount: 1000, currency: 'USD', delaySeconds: 0, data: scenario.data })
            ).body as { id: string })
          : 'direct' in scenario
            ? await startDirectly(scenario.data)
            : 'legacy' in scenario
              ? ((await (
                  await fetch(`${system.apiUrl}/payment`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json' },
                    body: JSON.stringify({ webhook_url: receiver.url, sleep: scenario.delaySeconds, data: scenario.data }),
                  })
                ).json()) as { id: string })
              : await system.trpc.payments.create.mutate({
                  amount: 1000,
                  currency: 'USD',
                  delaySeconds: scenario.delaySeconds,
                  data: scenario.data,
                  webhookUrl: receiver.url,
                  ...('captureMethod' in scenario ? { captureMethod: scenario.captureMethod } : {}),
                });
      if ('cancel' in scenario) await system.trpc.payments.cancel.mutate({ id: p.id });
      if ('processNow' in scenario) await system.trpc.payments.processNow.mutate({ id: p.id });
      if ('capture' in scenario) {
        await waitFor(async () => (await system.trpc.payments.get.query({ id: p.id })).status === 'requires_capture', 'requires_capture');
        await system.trpc.payments.capture.mutate({ id: p.id, amount: scenario.capture });
      }
      if ('amend' in scenario) for (const change of scenario.amend) await system.trpc.payments.amend.mutate({ id: p.id, ...change });
      const handle = system.temporal.workflow.getHandle(p.id);
      await handle.result();
      fresh.set(name, await handle.fetchHistory());
      paymentIds.set(name, p.id);
    }),
  );
  if (parseToolConfig().RECORD_HISTORIES === '1') {
    // Only new paths are recorded: a fixture of an earlier version is what protects its running payments.
    for (const [name, history] of fresh)
      if (!existsSync(path.join(FIXTURES, `${name}.json`)))
        await writeFile(
          path.join(FIXTURES, `${name}.json`),
          JSON.stringify(History.toObject(History.fromObject(history), { longs: String, bytes: String })),
        );
  }
}, 120_000);
afterAll(async () => {
  await system?.stop();
  await receiver?.close();
});

async function replay(histories: Array<{ workflowId: string; history: unknown }>) {
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { codePath: inject('workflowBundlePath') } },
    histories as never,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}

/** A scenario's timeline beside its payment row, asserted to be created → processing → completed → webhook delivered. */
async function deliveredTimeline(scenario: string) {
  const { rows } = await system.database.pool.query<{
    version: number;
    type: string;
    status: string;
    completed: boolean;
    webhook_status: string;
    at_version: number;
  }>(
    `select e.version, e.type, p.status, p.completed_at = e.occurred_at as completed, p.webhook_status, p.version as at_version
     from payment_events e join payments p on p.id = e.payment_id where e.payment_id = $1 order by e.version`,
    [paymentIds.get(scenario)!],
  );
  expect(rows.map((r) => [r.version, r.type])).toEqual([
    [1, 'payment.created'],
    [2, 'payment.processing'],
    [3, 'payment.completed'],
    [4, 'webhook.delivered'],
  ]);
  return rows;
}

/** Local-activity markers after the (first) activity of this type completed; throws if it never did. */
function localActivitiesAfter(events: temporal.api.history.v1.IHistoryEvent[], activityType: string): number {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  const completed = events.findIndex(
    (e) => scheduled && Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? 0) === Number(scheduled.eventId),
  );
  if (completed < 0) throw new Error(`no completed ${activityType} in the history`);
  return events.slice(completed).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
}

const count = (history: temporal.api.history.v1.IHistory, type: number) => history.events!.filter((e) => e.eventType === type).length;

describe('workflow histories', () => {
  it('replays the histories recorded by earlier versions (a non-deterministic change fails here)', async () => {
    const files = existsSync(FIXTURES) ? (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')) : [];
    expect(files.length).toBeGreaterThanOrEqual(Object.keys(SCENARIOS).length);
    const histories = await Promise.all(
      files.map(async (f) => ({ workflowId: f, history: History.fromObject(JSON.parse(await readFile(path.join(FIXTURES, f), 'utf8'))) })),
    );
    expect(await replay(histories)).toEqual([]);
  });

  it("replays this run's histories of every path", async () => {
    expect(await replay([...fresh].map(([workflowId, history]) => ({ workflowId, history })))).toEqual([]);
  });

  it('the failover path authorizes twice (Stripe refused the connection, then the simulator account) and captures once', () => {
    const scheduled = fresh
      .get('failover-completed')!
      .events!.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
    expect(scheduled).toEqual(['authorizePayment', 'authorizePayment', 'capturePayment']);
  });

  it('a charge opens with one local activity (created when due at once, processing, the route), not three', () => {
    /** Local-activity markers before the first gateway call is scheduled. */
    const opening = (name: string) => {
      const events = fresh.get(name)!.events!;
      const firstCall = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
      return events
        .slice(0, firstCall)
        .filter(
          (e) =>
            e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes!.markerName === 'core_local_activity',
        ).length;
    };
    expect(opening('opened-at-once')).toBe(1);
    // After a delay: `created` was written before the timer, then processing and the route together.
    expect(opening('opened-after-delay')).toBe(2);
  });

  it('a payment due at once whose API never wrote it still has its whole timeline from the workflow, created first', async () => {
    const paymentId = paymentIds.get('opened-without-api-write')!;
    const { rows } = await system.database.pool.query<{ version: number; type: string }>(
      'select version, type from payment_events where payment_id = $1 order by version',
      [paymentId],
    );
    expect(rows.map((r) => [r.version, r.type])).toEqual([
      [1, 'payment.created'],
      [2, 'payment.processing'],
      [3, 'payment.completed'],
    ]);
  });

  it('the capture writes completed and the delivery the webhook outcome: the opening is the only local activity', async () => {
    const events = fresh.get('completed-by-capture')!.events!;
    const localActivities = events
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((e) => JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString()).activity_type);
    expect(localActivities).toEqual(['openCharge']);
    const rows = await deliveredTimeline('completed-by-capture');
    // Completed when the capture wrote it: the row's completion time is the completed entry's.
    expect(rows[2]).toMatchObject({ status: 'completed', completed: true });
  });

  it("the capture's own attempt at the webhook, answered 2xx, ends it: no delivery activity, no local activity after the capture", async () => {
    const events = fresh.get('own-webhook-sent-by-capture')!.events!;
    const scheduled = events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
    expect(scheduled).toEqual(['authorizePayment', 'capturePayment']);
    expect(localActivitiesAfter(events, 'capturePayment')).toBe(0);
    const paymentId = paymentIds.get('own-webhook-sent-by-capture')!;
    const rows = await deliveredTimeline('own-webhook-sent-by-capture');
    expect(rows[0]).toMatchObject({ webhook_status: 'delivered', at_version: 4 });
    expect(receiver.all.filter((r) => r.raw.includes(paymentId)).map((r) => r.status)).toEqual([200]);
  });

  it("the own webhook's delivery records its outcome: no local activity after it, the payment says delivered at the next version", async () => {
    const events = fresh.get('own-webhook-recorded-by-delivery')!.events!;
    expect(localActivitiesAfter(events, 'deliverWebhookMessage')).toBe(0);
    const paymentId = paymentIds.get('own-webhook-recorded-by-delivery')!;
    const rows = await deliveredTimeline('own-webhook-recorded-by-delivery');
    expect(rows[0]).toMatchObject({ webhook_status: 'delivered', at_version: 4 });
    // The capture's attempt (refused), then the delivery activity's, after the schedule's next delay.
    expect(receiver.all.filter((r) => r.raw.includes(paymentId)).map((r) => r.status)).toEqual([500, 200]);
  });

  it('a zero delay creates no timer; a delay creates exactly one', () => {
    expect(count(fresh.get('completed-delay-0')!, EventType.EVENT_TYPE_TIMER_STARTED)).toBe(0);
    expect(count(fresh.get('declined')!, EventType.EVENT_TYPE_TIMER_STARTED)).toBe(0);
    expect(count(fresh.get('completed-delay-1')!, EventType.EVENT_TYPE_TIMER_STARTED)).toBe(1);
  });

  it('an amendment that moves the schedule re-arms the timer; one already past ends the wait', () => {
    expect(count(fresh.get('amended')!, EventType.EVENT_TYPE_TIMER_STARTED)).toBe(2);
    expect(count(fresh.get('amended')!, EventType.EVENT_TYPE_TIMER_CANCELED)).toBe(2);
    expect(count(fresh.get('amended')!, EventType.EVENT_TYPE_TIMER_FIRED)).toBe(0);
  });

  it('costs Temporal at most 1.5× the events of a minimal validate → charge → webhook workflow', () => {
    // Minimal design: start, 3 activities (scheduled/started/completed) each followed by a workflow
    // task (scheduled/started/completed), one initial workflow task, completion: 1 + 3 + 3×6 + 1 = 23.
    const minimal = 23;
    const events = fresh.get('completed-delay-0')!.events!.length;
    expect(events).toBeLessThanOrEqual(Math.floor(minimal * 1.5));
    // Projection writes are a local activity (a marker) or ride on the activity whose success makes
    // them: no activity task of their own.
    const scheduled = fresh
      .get('completed-delay-0')!
      .events!.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
    // The own webhook went out with the capture (its receiver answered at once): no delivery activity.
    expect(scheduled).toEqual(['authorizePayment', 'capturePayment']);
  });
});
