import { and, eq, lt, sql } from 'drizzle-orm';
import type { RefundState } from '../common/refund-api.js';
import type { PaymentSnapshot, ProjectionEvent, WebhookMessageRef } from '../common/workflow-api.js';
import type { Database } from './client.js';
import { feedEntryCte } from './event-feed.js';
import { compiledStatement } from './compiled-statement.js';
import { projectionOutcome, projectionResult, timelineInsert, timelineValues, type ProjectionRow } from './projection.js';
import { payments, refunds } from './schema.js';
import { eventValues, webhookMessagesCte } from './webhook-messages.js';

const at = (ms: number) => new Date(ms);

/** A refund's fields as webhook receivers get them, named like the payment's beside them (and the API's refund). */
export function refundPayload(refund: RefundState): Record<string, unknown> {
  return {
    id: refund.refundId,
    paymentId: refund.paymentId,
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
    status: refund.status,
    failureReason: refund.failureReason,
    createdAt: new Date(refund.createdAt).toISOString(),
  };
}

/**
 * One step of a refund in one statement, like a payment's own state change: the payment row
 * (status, amount refunded, version) moves only to a higher version, the timeline entry is unique per
 * (payment, version) and so is its events-feed row, the refund row never leaves a final status, and the webhook messages of the event
 * are enqueued in the payment's sequence. Applied twice, it changes nothing and returns the same messages.
 */
const refundState = compiledStatement('project_refund_state', (db, v) => {
  const moved = db
    .update(payments)
    // An update's set takes SQL, not placeholders: pg encodes these values itself (a Date as timestamptz).
    .set({
      status: sql`${v('pay_status')}`,
      amountRefunded: sql`${v('pay_amount_refunded')}`,
      version: sql`${v('pay_version')}`,
      updatedAt: sql`${v('pay_updated_at')}`,
    })
    .where(and(eq(payments.id, v('pay_id')), lt(payments.version, v('pay_version'))))
    .returning({ id: payments.id });
  const written = db
    .insert(refunds)
    .values({
      id: v('refund_id'),
      paymentId: v('refund_payment_id'),
      merchantId: v('refund_merchant_id'),
      amount: v('refund_amount'),
      currency: v('refund_currency'),
      reason: v('refund_reason'),
      status: v('refund_status'),
      failureReason: v('refund_failure_reason'),
      createdAt: v('refund_created_at'),
      updatedAt: v('refund_updated_at'),
    })
    .onConflictDoUpdate({
      target: refunds.id,
      set: {
        status: sql.raw('excluded.status'),
        failureReason: sql.raw('excluded.failure_reason'),
        updatedAt: sql.raw('excluded.updated_at'),
      },
      // A late replay of `pending` never undoes the outcome.
      setWhere: sql`${refunds.status} = 'pending'`,
    });
  return sql`with moved as ${moved}, entry as ${timelineInsert(db, v)}, refund as ${written}, ${feedEntryCte(v)}, ${webhookMessagesCte(v)} ${projectionResult}`;
});

export async function projectRefundState(
  db: Database,
  snapshot: PaymentSnapshot,
  refund: RefundState,
  event: ProjectionEvent,
): Promise<{ rowChanged: boolean; messages: WebhookMessageRef[] }> {
  const rows = await refundState.rows<ProjectionRow>(db, {
    pay_id: snapshot.paymentId,
    pay_status: snapshot.status,
    pay_amount_refunded: snapshot.amountRefunded ?? 0,
    pay_version: snapshot.version,
    pay_updated_at: at(snapshot.updatedAt),
    refund_id: refund.refundId,
    refund_payment_id: refund.paymentId,
    refund_merchant_id: snapshot.merchantId,
    refund_amount: refund.amount,
    refund_currency: refund.currency,
    refund_reason: refund.reason,
    refund_status: refund.status,
    refund_failure_reason: refund.failureReason,
    refund_created_at: at(refund.createdAt),
    refund_updated_at: at(refund.updatedAt),
    ...timelineValues(snapshot, event),
    // The feed's entry carries what the webhook carries: the refund beside the payment.
    ...eventValues(snapshot, event, { refund: refundPayload(refund) }),
  });
  return projectionOutcome(rows);
}
