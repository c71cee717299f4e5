import { and, desc, gte, inArray, isNotNull } from 'drizzle-orm';
import type { PaymentStatus } from '../../common/vocabulary.js';
import type { Database } from '../../db/client.js';
import { payments } from '../../db/schema.js';
import { idempotencyKey, type ProcessorStatus } from './connector.js';
import type { ConnectorDirectory } from './directory.js';

export interface ProcessorDisagreement {
  paymentId: string;
  status: PaymentStatus;
  connector: string;
  connectorAccountId: string | null;
  /** What the processor holds for the payment's authorization; `lookup failed: …` when it did not answer. */
  processor: string;
  expected: string;
}

/** What the processor must hold for a payment in each status we reconcile. */
const EXPECTED: Partial<Record<PaymentStatus, ProcessorStatus['state'][]>> = {
  requires_capture: ['authorized'],
  completed: ['captured'],
  partially_refunded: ['captured'],
  refunded: ['captured'],
  // Voided by the saga or the capture window; never captured.
  failed: ['voided', 'absent'],
  canceled: ['voided', 'absent'],
};

/**
 * Asks each payment's processor what it holds for the payment's authorization and compares it with
 * the read model: money captured for a failed payment, an authorization left open for a canceled
 * one, or a captured amount other than ours is a disagreement. Lookups never move money. Only
 * payments updated since `since` (newest first, at most `limit`) are checked.
 */
export async function reconcileWithProcessors(
  deps: { db: Database; connectors: ConnectorDirectory },
  options: { since: Date; limit: number },
): Promise<{ checked: number; disagreements: ProcessorDisagreement[] }> {
  const rows = await deps.db
    .select()
    .from(payments)
    .where(
      and(
        isNotNull(payments.connector),
        isNotNull(payments.processorReference),
        inArray(payments.status, Object.keys(EXPECTED) as PaymentStatus[]),
        gte(payments.updatedAt, options.since),
      ),
    )
    .orderBy(desc(payments.updatedAt))
    .limit(options.limit);
  const disagreements: ProcessorDisagreement[] = [];
  for (const row of rows) {
    const expected = EXPECTED[row.status]!;
    const base = {
      paymentId: row.id,
      status: row.status,
      connector: row.connector!,
      connectorAccountId: row.connectorAccountId,
      expected: expected.join(' or '),
    };
    let held: ProcessorStatus;
    try {
      const connector = await deps.connectors.get({ accountId: row.connectorAccountId, kind: row.connector! });
      held = await connector.status({
        paymentId: row.id,
        // Unused when the reference is given; the lookup never replays a creation then.
        idempotencyKey: idempotencyKey(row.id, 'authorize', 1),
        authorizationId: row.processorReference!,
        amount: row.amount,
        currency: row.currency,
      });
    } catch (err) {
      disagreements.push({ ...base, processor: `lookup failed: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    const capturedDiffers = held.state === 'captured' && row.capturedAmount !== null && held.capturedAmount !== row.capturedAmount;
    if (!expected.includes(held.state) || capturedDiffers) {
      const detail = held.state === 'captured' ? `captured ${held.capturedAmount} (we recorded ${row.capturedAmount})` : held.state;
      disagreements.push({ ...base, processor: detail });
    }
  }
  return { checked: rows.length, disagreements };
}
