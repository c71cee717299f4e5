import { describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.js';
import { ConnectorDeclinedError } from './connector.js';
import { simulateRefund } from './simulator-refunds.js';

/** Drizzle's chain stood in for: awaiting any statement gives the scripted ledger row; `set` values are kept. */
function ledger(row: { status: string; calls: number }) {
  const settled: unknown[] = [];
  const chain = (): unknown =>
    new Proxy(() => {}, {
      get: (_target, prop) =>
        prop === 'then'
          ? (resolve: (v: unknown) => void) => resolve([row])
          : prop === 'set'
            ? (values: { status?: string }) => (settled.push(values.status), chain())
            : () => chain(),
    });
  const db = { insert: () => chain(), update: () => chain() } as unknown as Database;
  return { db, settled };
}

const request = {
  paymentId: 'pay_1',
  authorizationId: 'auth_1',
  refundId: 're_1',
  idempotencyKey: 'pay_1/refund:re_1/1',
  amount: 500,
  currency: 'EUR',
};

describe('simulator refunds', () => {
  it('a refund already succeeded is not refunded again (a retry after a lost answer)', async () => {
    const { db, settled } = ledger({ status: 'succeeded', calls: 2 });
    await simulateRefund(db, request);
    expect(settled).toEqual([]);
  });

  it('a first call succeeds and is recorded as succeeded', async () => {
    const { db, settled } = ledger({ status: 'attempted', calls: 1 });
    await simulateRefund(db, request);
    expect(settled).toEqual(['succeeded']);
  });

  it('refund_decline refuses for good (ConnectorDeclinedError), and a refused refund stays refused', async () => {
    const first = ledger({ status: 'attempted', calls: 1 });
    await expect(simulateRefund(first.db, { ...request, scenario: 'refund_decline' })).rejects.toBeInstanceOf(ConnectorDeclinedError);
    expect(first.settled).toEqual(['refused']);
    const again = ledger({ status: 'refused', calls: 2 });
    await expect(simulateRefund(again.db, request)).rejects.toBeInstanceOf(ConnectorDeclinedError);
  });

  it('refund_error fails the first two calls transiently, then succeeds', async () => {
    for (const calls of [1, 2]) {
      const { db, settled } = ledger({ status: 'attempted', calls });
      const err = await simulateRefund(db, { ...request, scenario: 'refund_error' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(ConnectorDeclinedError);
      expect(settled).toEqual([]);
    }
    const third = ledger({ status: 'attempted', calls: 3 });
    await simulateRefund(third.db, { ...request, scenario: 'refund_error' });
    expect(third.settled).toEqual(['succeeded']);
  });
});
