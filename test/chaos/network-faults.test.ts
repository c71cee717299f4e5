import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { ProcessGroup, processEnv, createPayments, ensureBuilt, ledgerOf, waitAllFinal } from '../processes.js';
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


describe('network and restart faults', () => {
  it('worker ↔ Temporal traffic cut through the proxy: the worker reconnects and every payment completes', { timeout: 300_000 }, async () => {
    const [host, port] = inject('temporalAddress').split(':');
    const proxy = await startTcpProxy({ host: host!, port: Number(port) });
    try {
      const env = processEnv();
      await group.startWorker({ ...env, TEMPORAL_ADDRESS: proxy.address });
      const api = await group.startApi(env);
      const ids = await createPayments(api.url, scaled(20, 100), (i) => ({ amount: 10 + i, currency: 'EUR', delaySeconds: 2 }));
      proxy.cut(scaled(8_000, 60_000));
      expect(await waitAllFinal(database.db, ids, 240_000)).toEqual({ completed: ids.length });
      expect(await ledgerOf(database.db, ids)).toEqual({ captured: ids.length });
    } finally {
      group.killAll();
      await proxy.close();
    }
  });

  it('one of two workers restarted again and again under load: no failed payment, the backlog drains', { timeout: 400_000 }, async () => {
    const env = processEnv();
    await group.startWorker(env);
    let restarting = await group.startWorker(env);
    const api = await group.startApi(env);

    const period = scaled(4_000, 30_000);
    const duration = scaled(16_000, 180_000);
    const ids: string[] = [];
    const started = Date.now();
    let nextRestart = started + period;
    while (Date.now() - started < duration) {
      ids.push(...(await createPayments(api.url, 10, (i) => ({ amount: 20 + i, currency: 'EUR', delaySeconds: i % 3 }))));
      if (Date.now() >= nextRestart) {
        // A graceful restart: SIGTERM, then a new process.
        const exited = new Promise((r) => restarting.once('exit', r));
        restarting.kill('SIGTERM');
        await exited;
        restarting = await group.startWorker(env);
        nextRestart += period;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await waitAllFinal(database.db, ids, 240_000)).toEqual({ completed: ids.length });
    expect(await ledgerOf(database.db, ids)).toEqual({ captured: ids.length });
  });
});
