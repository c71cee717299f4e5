import { describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.js';
import { ConnectorDeclinedError } from './connector.js';
import { createSimulatorConnector } from './simulator.js';

/**
 * A stand-in for Drizzle's query builder: every chained call returns the chain, and awaiting it
 * gives the ledger row the test scripts. `statements` counts inserts and updates.
 */
function fakeLedger(row: () => { status: string; calls: number }) {
  const statements: string[] = [];
  const chain = (): unknown =>
    new Proxy(() => {}, {
      get: (_target, prop) =>
        prop === 'then'
          ? (resolve: (v: unknown) => void, reject: (e: unknown) => void) => Promise.resolve([row()]).then(resolve, reject)
          : () => chain(),
    });
  const db = {
    insert: () => (statements.push('insert'), chain()),
    update: () => (statements.push('update'), chain()),
  } as unknown as Database;
  return { db, statements };
}

describe('gateway simulator', () => {
  it('its latency ends at once when the caller aborts', async () => {
    const { db } = fakeLedger(() => ({ status: 'attempted', calls: 1 }));
    const gateway = createSimulatorConnector({ db, latencyMs: 60_000 });
    const abort = new AbortController();
    const started = Date.now();
    const call = gateway.authorize({
      paymentId: 'pay_1',
      idempotencyKey: 'pay_1/authorize/1',
      amount: 100,
      currency: 'USD',
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 20);
    await expect(call).resolves.toEqual({ authorizationId: 'auth_1' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('scenarios: decline is final, error fails the first two calls only, capture_fail refuses the capture', async () => {
    let calls = 0;
    const { db } = fakeLedger(() => ({ status: 'attempted', calls: ++calls }));
    const gateway = createSimulatorConnector({ db });
    await expect(
      gateway.authorize({ paymentId: 'pay_d', idempotencyKey: 'pay_d/authorize/1', amount: 1, currency: 'USD', scenario: 'decline' }),
    ).rejects.toBeInstanceOf(ConnectorDeclinedError);
    calls = 0;
    const transient = () =>
      gateway.authorize({ paymentId: 'pay_e', idempotencyKey: 'pay_e/authorize/1', amount: 1, currency: 'USD', scenario: 'error' });
    await expect(transient()).rejects.not.toBeInstanceOf(ConnectorDeclinedError);
    await expect(transient()).rejects.toThrow('temporarily unavailable');
    await expect(transient()).resolves.toEqual({ authorizationId: 'auth_e' });
    await expect(
      gateway.capture({ paymentId: 'pay_c', authorizationId: 'auth_c', idempotencyKey: 'pay_c/capture/1', scenario: 'capture_fail' }),
    ).rejects.toBeInstanceOf(ConnectorDeclinedError);
  });

  it('a retried authorize of an authorized payment answers the same authorization without charging again', async () => {
    const { db, statements } = fakeLedger(() => ({ status: 'authorized', calls: 2 }));
    const gateway = createSimulatorConnector({ db });
    await expect(
      gateway.authorize({ paymentId: 'pay_r', idempotencyKey: 'pay_r/authorize/1', amount: 1, currency: 'USD', scenario: 'decline' }),
    ).resolves.toEqual({
      authorizationId: 'auth_r',
    });
    // Only the ledger upsert: no second status change.
    expect(statements).toEqual(['insert']);
  });

  it('names each route attempt its own authorization: the first keeps the name recorded histories have', async () => {
    const { db } = fakeLedger(() => ({ status: 'attempted', calls: 1 }));
    const gateway = createSimulatorConnector({ db });
    await expect(
      gateway.authorize({ paymentId: 'pay_a', idempotencyKey: 'pay_a/authorize/1', amount: 1, currency: 'USD' }),
    ).resolves.toEqual({
      authorizationId: 'auth_a',
    });
    await expect(
      gateway.authorize({ paymentId: 'pay_a', idempotencyKey: 'pay_a/authorize/2', amount: 1, currency: 'USD' }),
    ).resolves.toEqual({
      authorizationId: 'auth_a_2',
    });
  });
});
