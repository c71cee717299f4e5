import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { ProcessGroup, processEnv, createPayments, ensureBuilt, ledgerOf, waitAllFinal } from '../processes.js';

/** The production artifacts: `npm run build` once, then everything below runs the built JavaScript. */
beforeAll(ensureBuilt, 240_000);

describe('npm run build', () => {
  it("produces every image's entrypoint", async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    const entrypoints = [...dockerfile.matchAll(/^CMD \["node", "([^"]+)"\]$/gm)].map((m) => m[1]!);
    expect(entrypoints).toEqual(['dist/api/main.js', 'dist/worker/main.js', 'dist/web/main.js', 'dist/db/migrate-cli.js']);
    for (const file of [...entrypoints, 'dist/worker/workflow-bundle.js', 'dist/db/migrations/meta/_journal.json']) {
      expect(existsSync(file), file).toBe(true);
    }
  });
});

describe('two workers and an API as separate processes', () => {
  const group = new ProcessGroup();
  let database: DatabaseHandle;
  afterAll(async () => {
    group.killAll();
    await database?.close();
  });

  it(
    'a worker killed with SIGKILL in the middle of 200 payments: all reach a final state, one charge each',
    { timeout: 240_000 },
    async () => {
      database = await connectDatabase(inject('databaseUrl'), 2);
      const env = processEnv({ GATEWAY_LATENCY_MS: '20' });
      const workerA = await group.startWorker(env);
      await group.startWorker(env);
      const api = (await group.startApi(env)).url;

      // Delays spread over 0–4 s so that work is in flight on both workers when one dies.
      const first = await createPayments(api, 110, (i) => ({ amount: 100 + i, currency: 'EUR', delaySeconds: i % 5 }));
      workerA.kill('SIGKILL');
      const ids = [...first, ...(await createPayments(api, 90, (i) => ({ amount: 300 + i, currency: 'EUR', delaySeconds: i % 5 })))];
      expect(new Set(ids).size).toBe(200);

      expect(await waitAllFinal(database.db, ids, 180_000)).toEqual({ completed: 200 });
      // One ledger row per payment (its primary key), each captured exactly once.
      expect(await ledgerOf(database.db, ids)).toEqual({ captured: 200 });
    },
  );
});
