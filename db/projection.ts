import { sql, type SQL } from 'drizzle-orm';
import type { PaymentSnapshot, ProjectionEvent, WebhookMessageRef } from '../common/workflow-api.js';
import type { Database } from './client.js';
import { paymentEvents, payments } from './schema.js';
import { feedEntryCte } from './event-feed.js';
import { webhookMessagesCte } from './webhook-messages.js';

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
    metadata: s.metadata ?? {},
    description: s.description,
    workflowRunId: s.workflowRunId,
    failureReason: s.failureReason,
    compensated: s.compensated,
    version: s.version,
    createdAt: at(s.createdAt),
    updatedAt: at(s.updatedAt),
    completedAt: s.completedAt === null ? null : at(s.completedAt),
    captureMethod: s.captureMethod ?? 'automatic',
    capturedAmount: s.capturedAmount ?? null,
    captureBefore: s.captureBefore == null ? null : at(s.captureBefore),
    amountRefunded: s.amountRefunded ?? 0,
    connectorAccountId: s.connector?.accountId ?? null,
    connector: s.connector?.kind ?? null,
    processorReference: s.connector?.authorizationId ?? null,
  };
}

const excluded = (column: string) => sql.raw(`excluded.${column}`);

/**
 * Writes one state change of a payment, in one statement (atomic, one round trip): the current row
 * moves forward only when the version is higher, the timeline entry is unique per version, and the
 * webhook messages of the event are enqueued under ids derived from (payment, version, receiver).
 * Applying the same write twice, or an older write after a newer one, changes nothing and returns the
 * same messages. A trigger NOTIFYs listeners when the row changes.
 */
export async function projectPaymentState(
  db: Database,
  snapshot: PaymentSnapshot,
  event: ProjectionEvent,
): Promise<{ rowChanged: boolean; messages: WebhookMessageRef[] }> {
  const result = await db.execute<{ changed: number; messages: WebhookMessageRef[] }>(paymentStateStatement(db, snapshot, event));
  const { changed, messages } = result.rows[0]!;
  return { rowChanged: changed > 0, messages };
}

/** Exposed so the benchmark can send the same SQL through raw pg. */
export function paymentStateStatement(db: Queryable, snapshot: PaymentSnapshot, event: ProjectionEvent): SQL {
  // Drizzle parenthesises each embedded query itself.
  return sql`with moved as ${paymentUpsert(db, snapshot)}, entry as ${timelineInsert(db, snapshot, event)}, ${feedEntryCte(snapshot, event)}, ${webhookMessagesCte(snapshot, event)}
    select (select count(*)::int from moved) as changed,
           coalesce((select json_agg(json_build_object('id', id, 'lane', lane)) from planned), '[]'::json) as messages`;
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
        capturedAmount: excluded('captured_amount'),
        captureBefore: excluded('capture_before'),
        connectorAccountId: excluded('connector_account_id'),
        connector: excluded('connector'),
        processorReference: excluded('processor_reference'),
        // What an amendment of a pending payment may change; otherwise the same in every version.
        amount: excluded('amount'),
        currency: excluded('currency'),
        delaySeconds: excluded('delay_seconds'),
        webhookUrl: excluded('webhook_url'),
        description: excluded('description'),
        metadata: excluded('metadata'),
      },
      setWhere: sql`${payments.version} < excluded.version`,
    })
    .returning({ id: payments.id });
}

/** One timeline entry per (payment, version); a replay is ignored. Returns what it inserted, so the events feed gets exactly one row per entry. */
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
    .onConflictDoNothing({ target: [paymentEvents.paymentId, paymentEvents.version] })
    .returning({ version: paymentEvents.version });
}
