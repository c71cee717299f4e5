import { and, asc, count, desc, eq, gte, like, lt, sql, type SQL } from 'drizzle-orm';
import { comparableDate } from '../common/text-rules.js';
import type { PaymentEventView, PaymentStatus, PaymentView } from '../common/payment.js';
import { PAYMENT_STATUSES, recordOf } from '../common/vocabulary.js';
import type { Database } from '../db/client.js';
import { paymentEvents, payments } from '../db/schema.js';
import { TRPCError } from './trpc.js';

/** Reads of the payment read model. The API never asks Temporal to answer a read. */

type PaymentRow = typeof payments.$inferSelect;

export function toPaymentView(row: PaymentRow): PaymentView {
  return {
    id: row.id,
    reference: row.reference,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    delaySeconds: row.delaySeconds,
    scheduledAt: row.scheduledAt.toISOString(),
    webhookUrl: row.webhookUrl,
    webhookStatus: row.webhookStatus,
    data: row.data,
    metadata: row.metadata,
    description: row.description,
    paymentMethodId: row.paymentMethodId,
    workflowRunId: row.workflowRunId,
    failureReason: row.failureReason,
    compensated: row.compensated,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}

/** Only the merchant's own payments exist for it: another merchant's id is simply not found. */
export async function findPayment(db: Database, merchantId: string, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.merchantId, merchantId), eq(payments.id, id)))
    .limit(1);
  return row;
}

export async function getPaymentOrThrow(db: Database, merchantId: string, id: string): Promise<PaymentRow> {
  const row = await findPayment(db, merchantId, id);
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no payment with id ${id}` });
  return row;
}

export interface ListFilter {
  status?: PaymentStatus;
  /** A payment id, or a reference or its beginning. */
  search?: string;
  createdFrom?: string;
  createdTo?: string;
  cursor?: string;
  /** Every pair must be in the payment's metadata. */
  metadata?: Record<string, string>;
  limit: number;
}

/** Newest first. Ids are time-ordered, so the cursor is simply the last id of the previous page. */
export async function listPayments(db: Database, merchantId: string, filter: ListFilter) {
  const conditions: SQL[] = [eq(payments.merchantId, merchantId)];
  if (filter.status) conditions.push(eq(payments.status, filter.status));
  if (filter.search) {
    const term = filter.search.trim();
    conditions.push(
      term.startsWith('pay_') ? eq(payments.id, term) : like(payments.reference, `${term.toUpperCase().replace(/[%_\\]/g, '\\$&')}%`),
    );
  }
  if (filter.createdFrom) conditions.push(gte(payments.createdAt, comparableDate(filter.createdFrom)));
  if (filter.createdTo) conditions.push(lt(payments.createdAt, comparableDate(filter.createdTo)));
  if (filter.cursor) conditions.push(lt(payments.id, filter.cursor));
  if (filter.metadata && Object.keys(filter.metadata).length)
    conditions.push(sql`${payments.metadata} @> ${JSON.stringify(filter.metadata)}::jsonb`);
  const rows = await db
    .select()
    .from(payments)
    .where(and(...conditions))
    .orderBy(desc(payments.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  return {
    items: page.map(toPaymentView),
    nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null,
  };
}

export async function listPaymentEvents(db: Database, merchantId: string, paymentId: string): Promise<PaymentEventView[]> {
  await getPaymentOrThrow(db, merchantId, paymentId);
  const rows = await db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, paymentId)).orderBy(asc(paymentEvents.version));
  return rows.map((e) => ({
    version: e.version,
    type: e.type,
    status: e.status,
    occurredAt: e.occurredAt.toISOString(),
    details: e.details,
  }));
}

export async function paymentStats(db: Database, merchantId: string) {
  const rows = await db
    .select({ status: payments.status, count: count() })
    .from(payments)
    .where(eq(payments.merchantId, merchantId))
    .groupBy(payments.status);
  const counts = new Map(rows.map((row) => [row.status, row.count]));
  const byStatus = recordOf(PAYMENT_STATUSES, (status) => counts.get(status) ?? 0);
  // Pending well past its scheduled time means workers are missing or behind.
  const [overdue] = await db
    .select({ count: count() })
    .from(payments)
    .where(
      and(
        eq(payments.merchantId, merchantId),
        eq(payments.status, 'pending'),
        lt(payments.scheduledAt, sql`now() - interval '30 seconds'`),
      ),
    );
  return { byStatus, total: rows.reduce((sum, r) => sum + r.count, 0), overdue: overdue?.count ?? 0 };
}

/** Payments created per minute over the last hour (minutes without any are zero). */
export async function paymentsPerMinute(db: Database, merchantId: string): Promise<Array<{ minute: string; count: number }>> {
  const result = await db.execute<{ minute: Date; count: number }>(sql`
    select m.minute, count(p.id)::int as count
    from generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()), interval '1 minute') as m(minute)
    left join ${payments} p on p.merchant_id = ${merchantId}
      and p.created_at >= m.minute and p.created_at < m.minute + interval '1 minute'
    group by m.minute order by m.minute`);
  return result.rows.map((r) => ({ minute: new Date(r.minute).toISOString(), count: Number(r.count) }));
}
