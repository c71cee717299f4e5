import { sql } from 'drizzle-orm';
import type { PaymentSnapshot, ProjectionEvent, WebhookMessageRef } from '../common/workflow-api.js';
import { inTransaction, type Database } from './client.js';
import { paymentEvents, payments } from './schema.js';
import { enqueueWebhookMessages } from './webhook-messages.js';

const at = (ms: number) => new Date(ms);

export function paymentRow(s: PaymentSnapshot): typeof payments.$inferInsert {
  return {
    id: s.paymentId,
    // Absent only in histories recorded before merchants existed: the column default applies.
    merchantId: s.merchantId,
    paymentMethodId: s.paymentMethodId ?? null,
    reference: s.reference,
    amount: s.amount,
    currency: s.currency,
    status: s.status,
    delaySeconds: s.delaySeconds,
    scheduledAt: at(s.scheduledAt),
    webhookUrl: s.webhookUrl,
    webhookStatus: s.webhookStatus,
    data: s.data,
    description: s.description,
    workflowRunId: s.workflowRunId,
    failureReason: s.failureReason,
    compensated: s.compensated,
    version: s.version,
    createdAt: at(s.createdAt),
    updatedAt: at(s.updatedAt),
    completedAt: s.completedAt === null ? null : at(s.completedAt),
  };
}

const excluded = (column: string) => sql.raw(`excluded.${column}`);

/**
 * Writes one state change of a payment: the current row moves forward only when the version is
 * higher, and the timeline entry is unique per version. Applying the same write twice, or an older
 * write after a newer one, changes nothing. A trigger NOTIFYs listeners when the row changes.
 * Webhook messages for the event are enqueued in the same transaction and returned for delivery.
 */
export async function projectPaymentState(
  db: Database,
  snapshot: PaymentSnapshot,
  event: ProjectionEvent,
): Promise<{ rowChanged: boolean; messages: WebhookMessageRef[] }> {
  return inTransaction(db, async (tx) => {
    const changed = await paymentUpsert(tx, snapshot);
    await timelineInsert(tx, snapshot, event);
    const messages = await enqueueWebhookMessages(tx, snapshot, event);
    return { rowChanged: changed.length > 0, messages };
  });
}

type Queryable = Pick<Database, 'insert'>;

/** The row moves only to a higher version (exposed so the benchmark can run the same SQL on raw pg). */
export function paymentUpsert(db: Queryable, snapshot: PaymentSnapshot) {
  return db
    .insert(payments)
    .values(paymentRow(snapshot))
    .onConflictDoUpdate({
      target: payments.id,
      set: {
        status: excluded('status'),
        webhookStatus: excluded('webhook_status'),
        workflowRunId: excluded('workflow_run_id'),
        failureReason: excluded('failure_reason'),
        compensated: excluded('compensated'),
        version: excluded('version'),
        scheduledAt: excluded('scheduled_at'),
        updatedAt: excluded('updated_at'),
        completedAt: excluded('completed_at'),
      },
      setWhere: sql`${payments.version} < excluded.version`,
    })
    .returning({ id: payments.id });
}

/** One timeline entry per (payment, version); a replay is ignored. */
export function timelineInsert(db: Queryable, snapshot: PaymentSnapshot, event: ProjectionEvent) {
  return db
    .insert(paymentEvents)
    .values({
      paymentId: snapshot.paymentId,
      version: snapshot.version,
      type: event.type,
      status: snapshot.status,
      occurredAt: at(snapshot.updatedAt),
      details: event.details,
    })
    .onConflictDoNothing({ target: [paymentEvents.paymentId, paymentEvents.version] });
}
