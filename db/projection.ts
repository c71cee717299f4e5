import { getTableColumns, sql } from 'drizzle-orm';
import type { PgInsertValue } from 'drizzle-orm/pg-core';
import type { PaymentSnapshot, ProjectionEvent, WebhookMessageRef } from '../common/workflow-api.js';
import type { Database } from './client.js';
import { compiledStatement, type Bind } from './compiled-statement.js';
import { DEMO_MERCHANT_ID, paymentEvents, payments } from './schema.js';
import { feedEntryCte } from './event-feed.js';
import { eventValues, webhookMessagesCte } from './webhook-messages.js';

const at = (ms: number) => new Date(ms);

export function paymentRow(s: PaymentSnapshot): typeof payments.$inferSelect {
  return {
    id: s.paymentId,
    // Absent only in histories recorded before merchants existed: the demo merchant, the column's default.
    merchantId: s.merchantId ?? DEMO_MERCHANT_ID,
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
    compensated: s.compensated ?? false,
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

/** The columns of a payment row, each bound to the value of the same name (`paymentRow`'s keys). */
const rowColumns = Object.keys(getTableColumns(payments));

/**
 * One state change of a payment, in one statement (atomic, one round trip): the current row moves
 * forward only when the version is higher, the timeline entry is unique per version, and the webhook
 * messages of the event are enqueued under ids derived from (payment, version, receiver). Applying
 * the same write twice, or an older write after a newer one, changes nothing and returns the same
 * messages. A trigger NOTIFYs listeners when the row changes.
 */
const paymentState = compiledStatement(
  'project_payment_state',
  // Drizzle parenthesises each embedded query itself.
  (db, v) =>
    sql`with moved as ${paymentUpsert(db, v)}, entry as ${timelineInsert(db, v)}, ${feedEntryCte(v)}, ${webhookMessagesCte(v)} ${projectionResult}`,
);

/** What a projection statement answers: whether its `moved` CTE changed the row, and the messages `planned`. */
export const projectionResult = sql`select (select count(*)::int from moved) as changed,
           coalesce((select json_agg(json_build_object('id', id, 'lane', lane)) from planned), '[]'::json) as messages`;

export type ProjectionRow = { changed: number; messages: WebhookMessageRef[] };

export function projectionOutcome([row]: ProjectionRow[]): { rowChanged: boolean; messages: WebhookMessageRef[] } {
  return { rowChanged: row!.changed > 0, messages: row!.messages };
}

export async function projectPaymentState(
  db: Database,
  snapshot: PaymentSnapshot,
  event: ProjectionEvent,
): Promise<{ rowChanged: boolean; messages: WebhookMessageRef[] }> {
  return projectionOutcome(await paymentState.rows<ProjectionRow>(db, stateValues(snapshot, event)));
}

/** The statement's text and values, so the benchmark can send the very same through raw pg. */
export function paymentStateQuery(db: Database, snapshot: PaymentSnapshot, event: ProjectionEvent): { text: string; values: unknown[] } {
  return paymentState.query(db, stateValues(snapshot, event));
}

function stateValues(snapshot: PaymentSnapshot, event: ProjectionEvent): Record<string, unknown> {
  return {
    ...paymentRow(snapshot),
    ...timelineValues(snapshot, event),
    ...eventValues(snapshot, event),
  };
}

type Queryable = Pick<Database, 'insert'>;

/** The row moves only to a higher version. */
function paymentUpsert(db: Queryable, v: Bind) {
  return db
    .insert(payments)
    .values(Object.fromEntries(rowColumns.map((column) => [column, v(column)])) as PgInsertValue<typeof payments>)
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

/** The values `timelineInsert` binds. */
export function timelineValues(snapshot: PaymentSnapshot, event: ProjectionEvent) {
  return {
    entry_payment_id: snapshot.paymentId,
    entry_version: snapshot.version,
    entry_type: event.type,
    entry_status: snapshot.status,
    entry_occurred_at: at(snapshot.updatedAt),
    entry_details: event.details,
  };
}

/** One timeline entry per (payment, version); a replay is ignored. Returns what it inserted, so the events feed gets exactly one row per entry. */
export function timelineInsert(db: Queryable, v: Bind) {
  return db
    .insert(paymentEvents)
    .values({
      paymentId: v('entry_payment_id'),
      version: v('entry_version'),
      type: v('entry_type'),
      status: v('entry_status'),
      occurredAt: v('entry_occurred_at'),
      details: v('entry_details'),
    })
    .onConflictDoNothing({ target: [paymentEvents.paymentId, paymentEvents.version] })
    .returning({ version: paymentEvents.version });
}
