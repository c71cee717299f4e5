import { and, eq, lt, sql } from 'drizzle-orm';
import type { RefundState } from '../common/refund-api.js';
import type { PaymentSnapshot, ProjectionEvent, WebhookMessageRef } from '../common/workflow-api.js';
import type { Database } from './client.js';
import { feedEntryCte } from './event-feed.js';
import { paymentEvents, payments, refunds } from './schema.js';
import { webhookMessagesCte } from './webhook-messages.js';

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
 * Writes one step of a refund in one statement, like a payment's own state change: the payment row
 * (status, amount refunded, version) moves only to a higher version, the timeline entry is unique per
 * (payment, version) and so is its events-feed row, the refund row never leaves a final status, and the webhook messages of the event
 * are enqueued in the payment's sequence. Applied twice, it changes nothing and returns the same messages.
 */
export async function projectRefundState(
  db: Database,
  snapshot: PaymentSnapshot,
  refund: RefundState,
  event: ProjectionEvent,
): Promise<{ rowChanged: boolean; messages: WebhookMessageRef[] }> {
  const moved = db
    .update(payments)
    .set({
      status: snapshot.status,
      amountRefunded: snapshot.amountRefunded ?? 0,
      version: snapshot.version,
      updatedAt: at(snapshot.updatedAt),
    })
    .where(and(eq(payments.id, snapshot.paymentId), lt(payments.version, snapshot.version)))
    .returning({ id: payments.id });
  const entry = db
    .insert(paymentEvents)
    .values({
      paymentId: snapshot.paymentId,
      version: snapshot.version,
      type: event.type,
      status: snapshot.status,
      occurredAt: at(snapshot.updatedAt),
      details: event.details,
    })
    .onConflictDoNothing({ target: [paymentEvents.paymentId, paymentEvents.version] })
    .returning({ version: paymentEvents.version });
  const written = db
    .insert(refunds)
    .values({
      id: refund.refundId,
      paymentId: refund.paymentId,
      merchantId: snapshot.merchantId,
      amount: refund.amount,
      currency: refund.currency,
      reason: refund.reason,
      status: refund.status,
      failureReason: refund.failureReason,
      createdAt: at(refund.createdAt),
      updatedAt: at(refund.updatedAt),
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
  // The feed's entry carries what the webhook carries: the refund beside the payment.
  const extra = { refund: refundPayload(refund) };
  const result = await db.execute<{ changed: number; messages: WebhookMessageRef[] }>(
    sql`with moved as ${moved}, entry as ${entry}, refund as ${written}, ${feedEntryCte(snapshot, event, extra)}, ${webhookMessagesCte(snapshot, event, extra)}
    select (select count(*)::int from moved) as changed,
           coalesce((select json_agg(json_build_object('id', id, 'lane', lane)) from planned), '[]'::json) as messages`,
  );
  const { changed, messages } = result.rows[0]!;
  return { rowChanged: changed > 0, messages };
}
