import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { simulatorRefunds } from '../../db/schema.js';
import { ConnectorDeclinedError, type RefundRequest } from './connector.js';

/**
 * The simulator's refunds: one ledger row per refund id, so a retried call never refunds twice.
 * Scenarios come from the payment's `data.simulate` (see simulator.ts). Amounts are recorded, not
 * policed: the ledger is the evidence of what our side asked for.
 */
export async function simulateRefund(db: Database, { paymentId, refundId, amount, currency, scenario }: RefundRequest): Promise<void> {
  const [entry] = await db
    .insert(simulatorRefunds)
    .values({ refundId, paymentId, amount, currency, status: 'attempted' })
    .onConflictDoUpdate({
      target: simulatorRefunds.refundId,
      set: { calls: sql`${simulatorRefunds.calls} + 1`, updatedAt: sql`now()` },
    })
    .returning({ status: simulatorRefunds.status, calls: simulatorRefunds.calls });
  if (entry!.status === 'succeeded') return;
  if (entry!.status === 'refused' || scenario === 'refund_decline') {
    await settle(db, refundId, 'refused');
    throw new ConnectorDeclinedError('refund refused by acquirer (simulated)');
  }
  if (scenario === 'refund_error' && entry!.calls <= 2) throw new Error('gateway temporarily unavailable for refunds (simulated)');
  await settle(db, refundId, 'succeeded');
}

async function settle(db: Database, refundId: string, status: 'succeeded' | 'refused'): Promise<void> {
  await db
    .update(simulatorRefunds)
    .set({ status, updatedAt: sql`now()` })
    .where(and(eq(simulatorRefunds.refundId, refundId), eq(simulatorRefunds.status, 'attempted')));
}
