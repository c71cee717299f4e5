import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { simulatorCharges } from '../../db/schema.js';
import { simulateRefund } from './simulator-refunds.js';
import { ConnectorDeclinedError, type Connector, type ProcessorStatus } from './connector.js';

/**
 * Scenarios a payment can ask for with `data.simulate`:
 * - `decline`: authorization refused for good;
 * - `error`: the first two authorize calls fail transiently, the third succeeds;
 * - `timeout`: the first authorize call hangs past the activity timeout, the retry succeeds;
 * - `capture_fail`: capture is refused for good after a successful authorization;
 * - `refund_error`: the first two calls of each refund fail transiently, the third succeeds;
 * - `refund_decline`: every refund is refused for good.
 */

/**
 * The built-in gateway. Its ledger lives in Postgres, so it remembers charges across worker
 * crashes and a retried call never charges twice: one ledger row per authorize attempt, named by
 * the attempt's idempotency key.
 */
export function createSimulatorConnector(options: { db: Database; latencyMs?: number; hangMs?: number }): Connector {
  const { db } = options;
  // The simulated latency ends early on cancellation, like a real client's request would.
  const latency = (signal?: AbortSignal) => wait(options.latencyMs ?? 0, signal);

  return {
    kind: 'simulator',
    async authorize({ paymentId, idempotencyKey, amount, currency, scenario, signal }) {
      await latency(signal);
      const authorizationId = simulatorAuthorizationId(paymentId, idempotencyKey);
      const [entry] = await db
        .insert(simulatorCharges)
        .values({ paymentId, authorizationId, amount, currency, status: 'attempted' })
        .onConflictDoUpdate({
          target: simulatorCharges.authorizationId,
          set: { calls: sql`${simulatorCharges.calls} + 1`, updatedAt: sql`now()` },
        })
        .returning({ status: simulatorCharges.status, calls: simulatorCharges.calls });
      if (entry!.status !== 'attempted') return { authorizationId };
      if (scenario === 'decline') throw new ConnectorDeclinedError('card declined by issuer (simulated)');
      if (scenario === 'error' && entry!.calls <= 2) throw new Error('gateway temporarily unavailable (simulated)');
      if (scenario === 'timeout' && entry!.calls === 1) {
        await wait(options.hangMs ?? 60_000, signal);
        throw new Error('gateway did not answer in time (simulated)');
      }
      await db
        .update(simulatorCharges)
        .set({ status: 'authorized', updatedAt: sql`now()` })
        .where(and(eq(simulatorCharges.authorizationId, authorizationId), eq(simulatorCharges.status, 'attempted')));
      return { authorizationId };
    },

    async capture({ paymentId, authorizationId, amount, scenario }) {
      await latency();
      if (scenario === 'capture_fail') throw new ConnectorDeclinedError('capture refused by acquirer (simulated)');
      // A retried capture finds the entry captured already and leaves its amount as the first call set it.
      const updated = await db
        .update(simulatorCharges)
        .set({
          status: 'captured',
          capturedAmount: sql`case when ${simulatorCharges.status} = 'captured' then ${simulatorCharges.capturedAmount} else coalesce(${amount ?? null}::bigint, ${simulatorCharges.amount}) end`,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            eq(simulatorCharges.authorizationId, authorizationId),
            inArray(simulatorCharges.status, ['authorized', 'captured']),
            // More than was authorized is refused, as an acquirer would.
            amount === undefined ? undefined : sql`${simulatorCharges.amount} >= ${amount}`,
          ),
        )
        .returning({ id: simulatorCharges.paymentId });
      if (updated.length === 0)
        throw new ConnectorDeclinedError(`no authorization of at least ${amount ?? 'the amount'} to capture for ${paymentId}`);
    },

    async void({ authorizationId }) {
      await latency();
      await db
        .update(simulatorCharges)
        .set({ status: 'voided', updatedAt: sql`now()` })
        .where(and(eq(simulatorCharges.authorizationId, authorizationId), eq(simulatorCharges.status, 'authorized')));
    },

    async status({ paymentId, idempotencyKey, authorizationId: known }): Promise<ProcessorStatus> {
      const authorizationId = known ?? simulatorAuthorizationId(paymentId, idempotencyKey);
      const [entry] = await db.select().from(simulatorCharges).where(eq(simulatorCharges.authorizationId, authorizationId)).limit(1);
      // An attempt that never got past the ledger's first write holds nothing.
      if (!entry || entry.status === 'attempted') return { state: 'absent' };
      return { state: entry.status, authorizationId, amount: entry.amount, capturedAmount: entry.capturedAmount };
    },

    async refund(request) {
      await latency();
      await simulateRefund(db, request);
    },
  };
}

/**
 * The first attempt's authorization keeps the name it always had (`auth_<ulid>`, in recorded
 * histories); a later route attempt's gets its number, so each attempt is its own ledger row.
 */
export function simulatorAuthorizationId(paymentId: string, idempotencyKey: string): string {
  const base = `auth_${paymentId.replace(/^pay_/, '')}`;
  const routeAttempt = idempotencyKey.split('/').pop();
  return routeAttempt === undefined || routeAttempt === '1' ? base : `${base}_${routeAttempt}`;
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
