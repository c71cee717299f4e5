import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PaymentWorkflowResult } from '../../common/workflow-api.js';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { payments, simulatorCharges } from '../../db/schema.js';
import { startTemporalCluster, type TemporalClusterHandle } from '../../dev/temporal-cluster.js';
import { startWebhookReceiver, waitFor } from '../harness.js';
import { ProcessGroup, createPayments, ensureBuilt, processEnv } from '../processes.js';
import { batchProblems, type BatchOutcome } from './cluster-outcome.js';
import { scaled } from './scale.js';

/**
 * Faults only a real cluster has: one of Temporal's own services crashes or restarts, or its
 * Postgres hangs, while payments are in flight. A worker and an API (built JS, own processes) run
 * against a four-process cluster started here; the app's read model stays on the test Postgres.
 */

describe('the batch check used below (negative controls on doctored outcomes)', () => {
  const id = 'pay_x';
  const good = (): BatchOutcome => ({
    ids: [id],
    rows: [{ id, status: 'completed', failureReason: null, compensated: false, webhookStatus: 'delivered' }],
    results: new Map([[id, { status: 'completed', failureReason: null, compensated: false, webhookStatus: 'delivered' }]]),
    ledger: [{ paymentId: id, status: 'captured' }],
    webhooks: [
      { paymentId: id, type: 'payment.completed', webhookId: 'msg_1' },
      { paymentId: id, type: 'payment.completed', webhookId: 'msg_1' },
    ],
  });
  it('passes a clean outcome (a redelivery with the same webhook-id is not a second message)', () => {
    expect(batchProblems(good())).toEqual([]);
  });
  it('names a double capture, a missing row, a row that disagrees, a lost or doubled webhook, a missing result', () => {
    expect(batchProblems({ ...good(), ledger: [...good().ledger, { paymentId: id, status: 'captured' }] })).toEqual([
      `${id}: 2 captures in the ledger`,
    ]);
    expect(batchProblems({ ...good(), ledger: [{ paymentId: id, status: 'authorized' }] })).toEqual([`${id}: 0 captures in the ledger`]);
    expect(batchProblems({ ...good(), rows: [] })).toEqual([`${id}: no read-model row`]);
    expect(batchProblems({ ...good(), rows: [{ ...good().rows[0]!, webhookStatus: 'pending' }] })).toEqual([
      `${id}: row webhookStatus pending but workflow delivered`,
    ]);
    expect(batchProblems({ ...good(), webhooks: [] })).toEqual([`${id}: 0 distinct payment.completed webhooks received`]);
    expect(
      batchProblems({ ...good(), webhooks: [...good().webhooks, { paymentId: id, type: 'payment.completed', webhookId: 'msg_2' }] }),
    ).toEqual([`${id}: 2 distinct payment.completed webhooks received`]);
    expect(batchProblems({ ...good(), results: new Map() })).toEqual([`${id}: no workflow result`]);
  });
});

describe('faults of the Temporal cluster itself (four processes on Postgres)', () => {
  let scratch: string;
  let cluster: TemporalClusterHandle | undefined;
  let database: DatabaseHandle;
  let temporal: Client;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let apiUrl: string;
  const group = new ProcessGroup();

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-cluster-chaos-'));
    await chmod(scratch, 0o755);
    [cluster] = await Promise.all([startTemporalCluster({ dataDir: scratch, timeoutMs: 90_000 }), ensureBuilt()]);
    database = await connectDatabase(inject('databaseUrl'), 4);
    temporal = new Client({ connection: await Connection.connect({ address: cluster.address }) });
    receiver = await startWebhookReceiver();
    const env = processEnv({
      TEMPORAL_ADDRESS: cluster.address,
      GATEWAY_LATENCY_MS: '300',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: '0,200ms,1s,2s,5s,10s',
    });
    await group.startWorker(env);
    apiUrl = (await group.startApi(env)).url;
  }, 300_000);
  afterAll(async () => {
    group.killAll();
    await temporal?.connection.close();
    await receiver?.close();
    await database?.close();
    await cluster?.stop().catch(() => cluster?.kill());
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** A batch sleeping 1–3 s, so the fault meets payments waiting, charging and delivering. */
  async function startBatch(tag: string): Promise<string[]> {
    const ids = await createPayments(apiUrl, scaled(8, 60), (i) => ({
      amount: 1000 + i,
      currency: 'EUR',
      delaySeconds: 1 + (i % 3),
      description: tag,
      webhookUrl: receiver.url,
    }));
    await waitFor(
      async () => (await database.db.select().from(simulatorCharges).where(inArray(simulatorCharges.paymentId, ids))).length > 0,
      'the first charge',
    );
    return ids;
  }

  /** How many of the batch are not final yet: the fault must meet payments in flight, not a finished batch. */
  async function inFlight(ids: string[]): Promise<number> {
    const rows = await database.db
      .select({ status: payments.status, webhookStatus: payments.webhookStatus })
      .from(payments)
      .where(inArray(payments.id, ids));
    return rows.filter((r) => r.status === 'pending' || r.status === 'processing' || r.webhookStatus === 'pending').length;
  }

  /** Waits for the batch to settle, then gathers what every part recorded and checks it. */
  async function expectNothingLost(ids: string[]) {
    await waitFor(
      async () => {
        const rows = await database.db
          .select({ status: payments.status, webhookStatus: payments.webhookStatus })
          .from(payments)
          .where(inArray(payments.id, ids));
        return (
          rows.length === ids.length &&
          rows.every((r) => r.status !== 'pending' && r.status !== 'processing' && r.webhookStatus !== 'pending')
        );
      },
      `${ids.length} payments to settle`,
      180_000,
    );
    const results = new Map<string, PaymentWorkflowResult>();
    for (const id of ids) results.set(id, await temporal.workflow.getHandle(id).result());
    const outcome: BatchOutcome = {
      ids,
      rows: await database.db
        .select({
          id: payments.id,
          status: payments.status,
          failureReason: payments.failureReason,
          compensated: payments.compensated,
          webhookStatus: payments.webhookStatus,
        })
        .from(payments)
        .where(inArray(payments.id, ids)),
      results,
      ledger: await database.db
        .select({ paymentId: simulatorCharges.paymentId, status: simulatorCharges.status })
        .from(simulatorCharges)
        .where(inArray(simulatorCharges.paymentId, ids)),
      webhooks: receiver.received
        .filter((w) => ids.includes(w.body.payment_id as string))
        .map((w) => ({ paymentId: w.body.payment_id as string, type: w.body.type as string, webhookId: String(w.headers['webhook-id']) })),
    };
    expect(batchProblems(outcome)).toEqual([]);
  }

  it('kill -9 of the history service mid-flight, restarted: nothing lost, one capture each', { timeout: 300_000 }, async () => {
    const ids = await startBatch('history-killed');
    expect(await inFlight(ids)).toBeGreaterThan(0);
    cluster!.services.history.kill('SIGKILL');
    await waitFor(async () => cluster!.services.history.pid() === undefined, 'history to die');
    // Down long enough for the worker's calls and the frontend's to fail, not just to be slow.
    await new Promise((r) => setTimeout(r, 2000));
    await cluster!.services.history.restart();
    await expectNothingLost(ids);
  });

  it('matching restarted mid-flight: queued tasks and pollers come back', { timeout: 300_000 }, async () => {
    const ids = await startBatch('matching-restarted');
    expect(await inFlight(ids)).toBeGreaterThan(0);
    await cluster!.services.matching.restart();
    await expectNothingLost(ids);
  });

  it('frontend restarted mid-flight: the worker and the API reconnect', { timeout: 300_000 }, async () => {
    const ids = await startBatch('frontend-restarted');
    expect(await inFlight(ids)).toBeGreaterThan(0);
    await cluster!.services.frontend.restart();
    await expectNothingLost(ids);
    // The API's own connection came back too: a new payment starts through it.
    const [late] = await createPayments(apiUrl, 1, () => ({ amount: 5, currency: 'EUR', delaySeconds: 0, webhookUrl: receiver.url }));
    await expectNothingLost([late!]);
  });

  it(
    "Temporal's Postgres frozen for 10 s mid-flight: the app's reads still answer, then everything completes",
    { timeout: 300_000 },
    async () => {
      const ids = await startBatch('temporal-postgres-frozen');
      expect(await inFlight(ids)).toBeGreaterThan(0);
      cluster!.postgres.freeze();
      try {
        const frozenAt = Date.now();
        // The read model is the app's own Postgres: a read does not wait for Temporal's.
        const read = await fetch(`${apiUrl}/api/v1/payments/${ids[0]}`, { signal: AbortSignal.timeout(5000) });
        expect(read.status).toBe(200);
        // The freeze is real: reading a workflow's history needs Temporal's database.
        await expect(
          temporal.connection.withDeadline(Date.now() + 2000, () => temporal.workflow.getHandle(ids[0]!).fetchHistory()),
        ).rejects.toThrow();
        await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - frozenAt))));
      } finally {
        cluster!.postgres.thaw();
      }
      await expectNothingLost(ids);
    },
  );
});
