import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { freePort } from '../../dev/ports.js';
import { waitFor } from '../harness.js';
import { ProcessGroup, createPayments, ensureBuilt, ledgerOf, waitAllFinal } from '../processes.js';
import { scaled } from './scale.js';
import { startTcpProxy } from './tcp-proxy.js';

let database: DatabaseHandle;
const group = new ProcessGroup();
beforeAll(async () => {
  await ensureBuilt();
  database = await connectDatabase(inject('databaseUrl'), 4);
}, 240_000);
afterAll(async () => {
  group.killAll();
  await database?.close();
});

const baseEnv = () => ({
  DATABASE_URL: inject('databaseUrl'),
  TEMPORAL_TASK_QUEUE: `chaos-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
  ANONYMOUS_AS_DEMO: 'true',
  RATE_LIMIT_PER_MINUTE: '1000000',
});

describe('network and restart faults', () => {
  it('worker ↔ Temporal traffic cut through the proxy: the worker reconnects and every payment completes', { timeout: 300_000 }, async () => {
    const [host, port] = inject('temporalAddress').split(':');
    const proxy = await startTcpProxy({ host: host!, port: Number(port) });
    try {
      const env = baseEnv();
      group.start('dist/worker/main.js', { ...env, TEMPORAL_ADDRESS: proxy.address, WORKER_METRICS_PORT: String(await freePort()) });
      const apiPort = await freePort();
      group.start('dist/api/main.js', { ...env, TEMPORAL_ADDRESS: inject('temporalAddress'), PORT: String(apiPort) });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`)).ok, 'the API', 60_000);
      const ids = await createPayments(`http://127.0.0.1:${apiPort}`, scaled(20, 100), (i) => ({ amount: 10 + i, currency: 'EUR', delaySeconds: 2 }));
      proxy.cut(scaled(8_000, 60_000));
      expect(await waitAllFinal(database.db, ids, 240_000)).toEqual({ completed: ids.length });
      expect(await ledgerOf(database.db, ids)).toEqual({ captured: ids.length });
    } finally {
      group.killAll();
      await proxy.close();
    }
  });

  it('one of two workers restarted again and again under load: no failed payment, the backlog drains', { timeout: 400_000 }, async () => {
    const env = { ...baseEnv(), TEMPORAL_ADDRESS: inject('temporalAddress') };
    const worker = async () => group.start('dist/worker/main.js', { ...env, WORKER_METRICS_PORT: String(await freePort()) });
    group.start('dist/worker/main.js', { ...env, WORKER_METRICS_PORT: String(await freePort()) });
    let restarting = await worker();
    const apiPort = await freePort();
    group.start('dist/api/main.js', { ...env, PORT: String(apiPort) });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`)).ok, 'the API', 60_000);

    const period = scaled(4_000, 30_000);
    const duration = scaled(16_000, 180_000);
    const ids: string[] = [];
    const started = Date.now();
    let nextRestart = started + period;
    while (Date.now() - started < duration) {
      ids.push(...(await createPayments(`http://127.0.0.1:${apiPort}`, 10, (i) => ({ amount: 20 + i, currency: 'EUR', delaySeconds: i % 3 }))));
      if (Date.now() >= nextRestart) {
        // A graceful restart: SIGTERM, then a new process.
        const exited = new Promise((r) => restarting.once('exit', r));
        restarting.kill('SIGTERM');
        await exited;
        restarting = await worker();
        nextRestart += period;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await waitAllFinal(database.db, ids, 240_000)).toEqual({ completed: ids.length });
    expect(await ledgerOf(database.db, ids)).toEqual({ captured: ids.length });
  });
});
