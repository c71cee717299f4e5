import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { payments, simulatorCharges } from '../../db/schema.js';
import { freePort } from '../../dev/ports.js';
import { waitFor } from '../harness.js';

const run = promisify(execFile);

/** The production artifacts: `npm run build` once, then everything below runs the built JavaScript. */
beforeAll(async () => {
  await run('npm', ['run', 'build'], { timeout: 180_000 });
}, 240_000);

describe('npm run build', () => {
  it("produces every image's entrypoint", async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    const entrypoints = [...dockerfile.matchAll(/^CMD \["node", "([^"]+)"\]$/gm)].map((m) => m[1]!);
    expect(entrypoints).toEqual(['dist/api/main.js', 'dist/worker/main.js', 'dist/web/main.js', 'dist/db/migrate-cli.js']);
    for (const file of [...entrypoints, 'dist/worker/workflow-bundle.js', 'dist/db/migrations/meta/_journal.json']) {
      expect(existsSync(file), file).toBe(true);
    }
  });

  it('type-checks a consumer importing `temporal-payments/client` (a breaking API change fails here)', async () => {
    const result = await run('node_modules/.bin/tsc', ['-p', 'test/consumer/tsconfig.json']).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    expect(result).toBe('');
  });
});

describe('two workers and an API as separate processes', () => {
  const children: ChildProcess[] = [];
  let database: DatabaseHandle;
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await database?.close();
  });

  function startProcess(entry: string, env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, [entry], { env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
    child.on('exit', (code, signal) => {
      if (code && code !== 0) console.error(`${entry} exited ${code ?? signal}: ${stderr}`);
    });
    children.push(child);
    return child;
  }

  it('a worker killed with SIGKILL in the middle of 200 payments: all reach a final state, one charge each', { timeout: 240_000 }, async () => {
    database = await connectDatabase(inject('databaseUrl'), 2);
    const port = await freePort();
    const env = {
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `built-${Date.now()}`,
      ANONYMOUS_AS_DEMO: 'true',
      RATE_LIMIT_PER_MINUTE: '100000',
      GATEWAY_LATENCY_MS: '20',
    };
    const workerA = startProcess('dist/worker/main.js', { ...env, WORKER_METRICS_PORT: String(await freePort()) });
    startProcess('dist/worker/main.js', { ...env, WORKER_METRICS_PORT: String(await freePort()) });
    startProcess('dist/api/main.js', { ...env, PORT: String(port) });
    const api = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${api}/readyz`)).ok, 'the API', 60_000);

    // Delays spread over 0–4 s so that work is in flight on both workers when one dies.
    const ids: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const created = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const res = await fetch(`${api}/api/v1/payments`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ amount: 100 + batch * 10 + i, currency: 'EUR', delaySeconds: (batch + i) % 5 }),
          });
          expect(res.status).toBe(200);
          return ((await res.json()) as { id: string }).id;
        }),
      );
      ids.push(...created);
      if (batch === 10) workerA.kill('SIGKILL');
    }
    expect(new Set(ids).size).toBe(200);

    const finished = () =>
      database.db
        .select({ status: payments.status, n: sql<number>`count(*)::int` })
        .from(payments)
        .where(inArray(payments.id, ids))
        .groupBy(payments.status);
    await waitFor(async () => (await finished()).every((r) => r.status === 'completed'), 'all 200 payments to complete', 180_000);
    expect(await finished()).toEqual([{ status: 'completed', n: 200 }]);

    const ledger = await database.db
      .select({ status: simulatorCharges.status, n: sql<number>`count(*)::int` })
      .from(simulatorCharges)
      .where(inArray(simulatorCharges.paymentId, ids))
      .groupBy(simulatorCharges.status);
    // One ledger row per payment (its primary key), each captured exactly once.
    expect(ledger).toEqual([{ status: 'captured', n: 200 }]);
  });
});
