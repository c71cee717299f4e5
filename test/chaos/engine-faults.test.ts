import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childEnvironment } from '../../common/config.js';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { paymentAttempts, payments, simulatorCharges } from '../../db/schema.js';
import { freePort } from '../../dev/ports.js';
import { findOrInstallTemporalCli } from '../../dev/temporal-cli.js';
import { startTemporalDevServer } from '../../dev/temporal-dev-server.js';
import { waitFor } from '../harness.js';
import { ProcessGroup, processEnv, createPayments, ensureBuilt, ledgerOf, waitAllFinal } from '../processes.js';
import { scaled } from './scale.js';

let database: DatabaseHandle;
let scratch: string;
const group = new ProcessGroup();

beforeAll(async () => {
  await ensureBuilt();
  database = await connectDatabase(inject('databaseUrl'), 4);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-chaos-'));
  await chmod(scratch, 0o755);
}, 240_000);
afterAll(async () => {
  group.killAll();
  await database?.close();
  await rm(scratch, { recursive: true, force: true });
});

const env = (temporalAddress: string) => processEnv({ TEMPORAL_ADDRESS: temporalAddress });

describe('engine and gateway faults', () => {
  it('Temporal dev server restarted (same SQLite file) while payments sleep: all complete, none early', { timeout: 300_000 }, async () => {
    const cli = await findOrInstallTemporalCli();
    const port = await freePort();
    const dbFile = path.join(scratch, 'temporal.db');
    let server = await startTemporalDevServer({ cli, port, dbFile });
    try {
      const e = env(server.address);
      await group.startWorker(e);
      const api = await group.startApi(e);
      const ids = await createPayments(api.url, scaled(20, 100), (i) => ({ amount: 50 + i, currency: 'EUR', delaySeconds: 6 }));

      await server.stop();
      await new Promise((r) => setTimeout(r, 2000));
      server = await startTemporalDevServer({ cli, port, dbFile });

      expect(await waitAllFinal(database.db, ids, 180_000)).toEqual({ completed: ids.length });
      const rows = await database.db.select().from(payments).where(inArray(payments.id, ids));
      for (const row of rows) expect(row.completedAt!.getTime()).toBeGreaterThanOrEqual(row.scheduledAt.getTime());
      expect(await ledgerOf(database.db, ids)).toEqual({ captured: ids.length });
    } finally {
      group.killAll();
      await server.stop();
    }
  });

  it(
    'a worker dies after the gateway charged but before the activity reported: one charge after the retry',
    { timeout: 300_000 },
    async () => {
      const e = env(inject('temporalAddress'));
      const marker = path.join(scratch, 'crashed');
      const crashing = spawn(process.execPath, ['--import', 'tsx', 'test/chaos/crash-after-charge-worker.ts'], {
        env: childEnvironment({ ...e, CRASH_MARKER: marker, LOG_LEVEL: 'error', WORKER_METRICS_PORT: String(await freePort()) }),
        stdio: 'ignore',
      });
      group.children.push(crashing);
      const api = await group.startApi(e);
      const [id] = await createPayments(api.url, 1, () => ({
        amount: 4242,
        currency: 'EUR',
        delaySeconds: 0,
        data: { simulate: 'crash_after_charge' },
      }));

      await waitFor(async () => crashing.signalCode === 'SIGKILL', 'the worker to die after charging', 60_000);
      expect(await readFile(marker, 'utf8')).toBe(id);
      const [charged] = await database.db.select().from(simulatorCharges).where(eq(simulatorCharges.paymentId, id!));
      expect(charged).toMatchObject({ status: 'authorized', calls: 1 });

      // A healthy worker takes over once the activity's timeout expires and retries the charge.
      await group.startWorker(e);
      expect(await waitAllFinal(database.db, [id!], 120_000)).toEqual({ completed: 1 });
      const [after] = await database.db.select().from(simulatorCharges).where(eq(simulatorCharges.paymentId, id!));
      expect(after).toMatchObject({ status: 'captured', calls: 2, authorizationId: charged!.authorizationId });
      // The killed call never reached the attempts log; its retry did, with the same idempotency key.
      const logged = await database.db.select().from(paymentAttempts).where(eq(paymentAttempts.paymentId, id!));
      expect(logged.map((a) => [a.step, a.idempotencyKey, a.outcome])).toEqual([
        ['authorize', `${id}/authorize/1`, 'succeeded'],
        ['capture', `${id}/capture/1`, 'succeeded'],
      ]);
    },
  );
});
