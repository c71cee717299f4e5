import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PaymentWorkflowResult } from '../../common/workflow-api.js';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { runMigrations } from '../../db/migrate.js';
import { payments } from '../../db/schema.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../dev/embedded-postgres.js';
import { freePort } from '../../dev/ports.js';
import { waitFor } from '../harness.js';
import { ProcessGroup, processEnv, createPayments, ensureBuilt, ledgerOf, waitAllFinal } from '../processes.js';
import { scaled } from './scale.js';

/** Postgres of its own, so freezing and killing it touches no other test. */
let scratch: string;
let pgPort: number;
let pg: EmbeddedPostgresHandle;
let database: DatabaseHandle;
let temporal: Client;
const group = new ProcessGroup();

const startPg = () => startEmbeddedPostgres({ dataDir: path.join(scratch, 'pg'), port: pgPort });
const postmasterPid = async () => Number((await readFile(path.join(scratch, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);

/** The postmaster and every backend it forked: freezing only the postmaster leaves sessions answering. */
async function serverPids(): Promise<number[]> {
  const postmaster = await postmasterPid();
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (after the parenthesised name) is the parent pid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === postmaster) children.push(Number(entry));
  }
  return [postmaster, ...children];
}

beforeAll(async () => {
  await ensureBuilt();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-pg-chaos-'));
  await chmod(scratch, 0o755);
  pgPort = await freePort();
  pg = await startPg();
  database = await connectDatabase(pg.url, 2);
  await runMigrations(database.db);
  temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
}, 240_000);
afterAll(async () => {
  group.killAll();
  await temporal?.connection.close();
  await database?.close();
  await pg?.stop().catch(() => {});
  await rm(scratch, { recursive: true, force: true });
});

/** The read model must equal what each workflow reports. */
async function reconcile(ids: string[]) {
  const rows = await database.db.select({ id: payments.id, status: payments.status }).from(payments).where(inArray(payments.id, ids));
  expect(rows).toHaveLength(ids.length);
  for (const row of rows) {
    const result: PaymentWorkflowResult = await temporal.workflow.getHandle(row.id).result();
    expect(row.status, row.id).toBe(result.status);
  }
}

describe('Postgres outages', () => {
  it(
    'frozen (SIGSTOP) mid-load, then stopped with an immediate shutdown: the API answers 503 within bounds, then everything completes and reconciles',
    { timeout: 400_000 },
    async () => {
      const env = processEnv({ DATABASE_URL: pg.url });
      await group.startWorker(env);
      const api = (await group.startApi(env)).url;
      const timedRead = async () => {
        const started = Date.now();
        const res = await fetch(`${api}/api/v1/payments?limit=1`, { signal: AbortSignal.timeout(30_000) });
        return { status: res.status, ms: Date.now() - started };
      };

      // 1. Frozen: the process exists but answers nothing.
      const first = await createPayments(api, scaled(20, 100), (i) => ({ amount: 70 + i, currency: 'EUR', delaySeconds: 1 + (i % 3) }));
      const pid = await postmasterPid();
      const frozen = await serverPids();
      for (const p of frozen) process.kill(p, 'SIGSTOP');
      try {
        const read = await timedRead();
        expect(read.status).toBe(503);
        expect(read.ms).toBeLessThan(10_000);
        expect((await fetch(`${api}/readyz`)).status).toBe(503);
        await new Promise((r) => setTimeout(r, scaled(4_000, 30_000)));
      } finally {
        for (const p of frozen.reverse()) process.kill(p, 'SIGCONT');
      }
      expect(await waitAllFinal(database.db, first, 240_000)).toEqual({ completed: first.length });

      // 2. Stopped with `-m immediate` (SIGQUIT to the postmaster) while payments are in flight, then restarted.
      const second = await createPayments(api, scaled(20, 100), (i) => ({ amount: 90 + i, currency: 'EUR', delaySeconds: 1 + (i % 3) }));
      const exited = waitFor(
        async () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        'Postgres to stop',
        30_000,
      );
      process.kill(await postmasterPid(), 'SIGQUIT');
      await exited;
      const refused = await timedRead();
      expect(refused.status).toBe(503);
      expect(refused.ms).toBeLessThan(10_000);
      pg = await startPg();

      expect(await waitAllFinal(database.db, second, 240_000)).toEqual({ completed: second.length });
      const all = [...first, ...second];
      expect(await ledgerOf(database.db, all)).toEqual({ captured: all.length });
      await reconcile(all);
    },
  );

  it(
    'SIGTERM ends a worker within 15 s while its projections are stuck on a frozen Postgres; another finishes the work',
    { timeout: 300_000 },
    async () => {
      const env = processEnv({ DATABASE_URL: pg.url });
      const worker = await group.startWorker(env);
      const api = (await group.startApi(env)).url;
      const ids = await createPayments(api, scaled(10, 50), (i) => ({ amount: 110 + i, currency: 'EUR', delaySeconds: 2 }));
      const frozen = await serverPids();
      for (const p of frozen) process.kill(p, 'SIGSTOP');
      let took: number;
      try {
        // The timers fire while Postgres is frozen: every projection is a local activity retrying.
        await new Promise((r) => setTimeout(r, 4_000));
        const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
        const started = Date.now();
        worker.kill('SIGTERM');
        await exited;
        took = Date.now() - started;
      } finally {
        for (const p of frozen.reverse()) process.kill(p, 'SIGCONT');
      }
      expect(took).toBeLessThan(16_000);
      await group.startWorker(env);
      expect(await waitAllFinal(database.db, ids, 120_000)).toEqual({ completed: ids.length });
      expect(await ledgerOf(database.db, ids)).toEqual({ captured: ids.length });
      await reconcile(ids);
    },
  );
});
