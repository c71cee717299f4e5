import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PaymentWorkflowResult } from '../../common/workflow-api.js';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { payments } from '../../db/schema.js';
import { waitFor } from '../harness.js';
import { ProcessGroup, processEnv, createPayments, ensureBuilt, ledgerOf, waitAllFinal } from '../processes.js';
import { scaled } from './scale.js';

let database: DatabaseHandle;
let temporal: Client;
const group = new ProcessGroup();

beforeAll(async () => {
  await ensureBuilt();
  database = await connectDatabase(inject('databaseUrl'), 4);
  temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
}, 240_000);
afterAll(async () => {
  group.killAll();
  await temporal?.connection.close();
  await database?.close();
});

const baseEnv = () => processEnv({ GATEWAY_LATENCY_MS: '20' });

describe('crashes of real processes (built JS)', () => {
  it(
    'kill -9 every worker with payments in flight, restart: all final, no duplicate charge, projection = workflow state',
    { timeout: 300_000 },
    async () => {
      const env = baseEnv();
      const workers = [await group.startWorker(env), await group.startWorker(env)];
      const api = await group.startApi(env);
      const count = scaled(40, 200);
      const ids = await createPayments(api.url, count, (i) => ({ amount: 1000 + i, currency: 'EUR', delaySeconds: 1 + (i % 3) }));

      // Mid-flight: some are sleeping, some charging, some projecting.
      await waitFor(async () => {
        const done = await database.db.select({ id: payments.id }).from(payments).where(inArray(payments.id, ids));
        return done.length === count;
      }, 'the rows');
      for (const w of workers) w.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1500));
      await group.startWorker(env);
      await group.startWorker(env);

      expect(await waitAllFinal(database.db, ids, 240_000)).toEqual({ completed: count });
      expect(await ledgerOf(database.db, ids)).toEqual({ captured: count });
      const rows = await database.db
        .select({ id: payments.id, status: payments.status, amount: payments.amount })
        .from(payments)
        .where(inArray(payments.id, ids));
      for (const row of rows) {
        const result: PaymentWorkflowResult = await temporal.workflow.getHandle(row.id).result();
        expect(result.status, row.id).toBe(row.status);
      }
    },
  );

  it(
    'API killed mid-create while the client retries with the same Idempotency-Key: exactly one payment',
    { timeout: 300_000 },
    async () => {
      const env = baseEnv();
      await group.startWorker(env);
      let api = await group.startApi(env);
      const url = `${api.url}/api/v1/payments`;
      const rounds = scaled(3, 15);
      for (let round = 0; round < rounds; round++) {
        const key = `crash-${Date.now()}-${round}`;
        const body = JSON.stringify({ amount: 777_000 + round, currency: 'EUR', delaySeconds: 0, description: key });
        const request = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body });
        const first = request().catch(() => undefined);
        await new Promise((r) => setTimeout(r, (round * 7) % 25));
        api.child.kill('SIGKILL');
        await first;
        api = await group.startApi({ ...env, PORT: String(api.port) });
        const retried = await request();
        expect(retried.status).toBe(201);
        const again = await request();
        const id = ((await retried.json()) as { id: string }).id;
        expect(((await again.json()) as { id: string }).id).toBe(id);

        const rows = await database.db.select({ id: payments.id }).from(payments).where(eq(payments.description, key));
        expect(rows.map((r) => r.id)).toEqual([id]);
        const runs = [];
        for await (const w of temporal.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(w);
        expect(runs).toHaveLength(1);
      }
    },
  );

  it(
    'a worker killed in the middle of a webhook attempt: the attempt is retried within seconds, not minutes',
    { timeout: 120_000 },
    async () => {
      // The first request is held open (the attempt is in flight when the worker dies); the next is answered.
      let calls = 0;
      const times: number[] = [];
      const held: Array<() => void> = [];
      const receiver = createServer((req, res) => {
        req.resume();
        calls += 1;
        times.push(Date.now());
        if (calls === 1) held.push(() => res.writeHead(200).end());
        else res.writeHead(200).end();
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const env = { ...baseEnv(), WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8', WEBHOOK_TIMEOUT_MS: '60000' };
        const worker = await group.startWorker(env);
        const api = await group.startApi(env);
        const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
        const [id] = await createPayments(api.url, 1, () => ({ amount: 4_242, currency: 'EUR', delaySeconds: 0, webhookUrl: url }));
        await waitFor(async () => calls === 1, 'the first attempt to arrive');
        worker.kill('SIGKILL');
        const killedAt = Date.now();
        await group.startWorker(env);
        await waitFor(async () => calls >= 2, 'the attempt to be retried', 60_000);
        // Heartbeat timeout 10 s + a retry: well under the 3-minute start-to-close that applied before.
        expect(times[1]! - killedAt).toBeLessThan(30_000);
        const result: PaymentWorkflowResult = await temporal.workflow.getHandle(id!).result();
        expect(result).toMatchObject({ status: 'completed', webhookStatus: 'delivered' });
        // A 60 s attempt does not fit whole in the capture's 30 s: the capture left it to the delivery activity.
        const scheduled = ((await temporal.workflow.getHandle(id!).fetchHistory()).events ?? []).map(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name,
        );
        expect(scheduled).toContain('deliverWebhookMessage');
      } finally {
        for (const release of held) release();
        receiver.closeAllConnections();
        await new Promise((resolve) => receiver.close(resolve));
      }
    },
  );
});
