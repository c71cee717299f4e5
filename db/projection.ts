import { sql, type SQL } from 'drizzle-orm';
import type { PaymentSnapshot, ProjectionEvent, WebhookMessageRef } from '../common/workflow-api.js';
import type { Database } from './client.js';
import { paymentEvents, payments } from './schema.js';
import { enqueueWebhookMessages } from './webhook-messages.js';

const at = (ms: number) => new Date(ms);

export function paymentRow(s: PaymentSnapshot): typeof payments.$inferSelect {
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
 * Then the webhook messages for the event are enqueued and returned for delivery.
 *
 * No transaction: each step is atomic and idempotent on its own, and the activity retries until all
 * have happened, so a crash between them ends the same as no crash. That saves BEGIN and COMMIT.
 */
export async function projectPaymentState(
  db: Database,
  snapshot: PaymentSnapshot,
  event: ProjectionEvent,
): Promise<{ rowChanged: boolean; messages: WebhookMessageRef[] }> {
  const rowChanged = await writePaymentState(db, snapshot, event);
  const messages = await enqueueWebhookMessages(db, snapshot, event);
  return { rowChanged, messages };
}

/** The row and its timeline entry in one statement: atomic, and one round trip. */
export async function writePaymentState(db: Database, snapshot: PaymentSnapshot, event: ProjectionEvent): Promise<boolean> {
  const result = await db.execute<{ changed: number }>(paymentStateStatement(db, snapshot, event));
  return result.rows[0]!.changed > 0;
}

/** Exposed so the benchmark can run the same SQL on raw pg. */
export function paymentStateStatement(db: Queryable, snapshot: PaymentSnapshot, event: ProjectionEvent): SQL {
  // Drizzle parenthesises each embedded query itself.
  return sql`with moved as ${paymentUpsert(db, snapshot)}, entry as ${timelineInsert(db, snapshot, event)} select count(*)::int as changed from moved`;
}

type Queryable = Pick<Database, 'insert'>;

/** The row moves only to a higher version. */
function paymentUpsert(db: Queryable, snapshot: PaymentSnapshot) {
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
function timelineInsert(db: Queryable, snapshot: PaymentSnapshot, event: ProjectionEvent) {
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
