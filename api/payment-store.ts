import { and, asc, count, eq, gte, like, lt, sql, type SQL } from 'drizzle-orm';
import { comparableDate } from '../common/text-rules.js';
import type { PaymentEventView, PaymentStatus, PaymentView } from '../common/payment.js';
import { PAYMENT_STATUSES, recordOf } from '../common/vocabulary.js';
import type { Database } from '../db/client.js';
import { paymentEvents, payments } from '../db/schema.js';
import {
  resolveCursor,
  encodeCursor,
  orderBy,
  pastKey,
  searchCondition,
  sortKeyText,
  type PaymentSort,
  type SortDirection,
} from './payment-list-query.js';
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
    captureMethod: row.captureMethod,
    capturedAmount: row.capturedAmount,
    captureBefore: row.captureBefore?.toISOString() ?? null,
    amountRefunded: row.amountRefunded,
    connector: row.connector,
    connectorAccountId: row.connectorAccountId,
  };
}

/**
 * Only the merchant's own payments exist for it: another merchant's id is simply not found. The
 * busiest read, so a named prepared statement: each connection parses and plans it once instead of
 * per call (with eleven indexes on the table, planning and building cost more than the lookup;
 * bench/ANALYSIS.md, reads under a large table).
 */
export async function findPayment(db: Database, merchantId: string, id: string): Promise<PaymentRow | undefined> {
  const [row] = await paymentById(db).execute({ merchantId, id });
  return row;
}

const preparedById = new WeakMap<Database, ReturnType<typeof preparePaymentById>>();

function paymentById(db: Database) {
  let prepared = preparedById.get(db);
  if (!prepared) preparedById.set(db, (prepared = preparePaymentById(db)));
  return prepared;
}

function preparePaymentById(db: Database) {
  return db
    .select()
    .from(payments)
    .where(and(eq(payments.merchantId, sql.placeholder('merchantId')), eq(payments.id, sql.placeholder('id'))))
    .limit(1)
    .prepare('payment_by_id');
}

export async function getPaymentOrThrow(db: Database, merchantId: string, id: string): Promise<PaymentRow> {
  const row = await findPayment(db, merchantId, id);
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no payment with id ${id}` });
  return row;
}

export interface ListFilter {
  status?: PaymentStatus;
  /** Legacy: a whole payment id, or a reference's beginning. `q` supersedes it. */
  search?: string;
  /** The beginning of a payment id, or a piece of the reference or description, in any case. */
  q?: string;
  createdFrom?: string;
  createdTo?: string;
  /** Metadata must hold every pair. */
  metadata?: Record<string, string>;
  sort?: PaymentSort;
  direction?: SortDirection;
  /** The page after this cursor (`nextCursor`); a bare payment id when sorting by id. */
  cursor?: string;
  /** The page before this cursor (`prevCursor`). */
  before?: string;
  limit: number;
}

/**
 * Counting stops here: past it the total is a lower bound (`totalExact: false`), so a count never scans
 * a whole tenant. At 10,000 the count cost a list read 6 ms of its 10 (10,000 matching rows).
 */
export const COUNT_CAP = 1_000;

function filterConditions(merchantId: string, filter: ListFilter): SQL[] {
  const conditions: SQL[] = [eq(payments.merchantId, merchantId)];
  if (filter.status) conditions.push(eq(payments.status, filter.status));
  if (filter.search) {
    const term = filter.search;
    conditions.push(
      term.startsWith('pay_') ? eq(payments.id, term) : like(payments.reference, `${term.toUpperCase().replace(/[%_\\]/g, '\\$&')}%`),
    );
  }
  if (filter.q) conditions.push(searchCondition(filter.q));
  if (filter.createdFrom) conditions.push(gte(payments.createdAt, comparableDate(filter.createdFrom)));
  if (filter.createdTo) conditions.push(lt(payments.createdAt, comparableDate(filter.createdTo)));
  if (filter.metadata && Object.keys(filter.metadata).length)
    conditions.push(sql`${payments.metadata} @> ${JSON.stringify(filter.metadata)}::jsonb`);
  return conditions;
}

/**
 * One page, keyset-paged both ways. Without a sort, by id (ids are ULIDs, so that is creation
 * order) and the cursors are bare ids, as they always were; with one, by that column and then the
 * id, so equal keys still have one order and a cursor neither skips nor repeats a row.
 */
export async function listPayments(db: Database, merchantId: string, filter: ListFilter, options: { count?: boolean } = {}) {
  const direction = filter.direction ?? 'desc';
  // `before` wins over `cursor`: a client that sends both is going back.
  const backwards = Boolean(filter.before);
  // A page before a cursor is read in the opposite order from the cursor outwards, then turned round.
  const readDirection: SortDirection = backwards ? (direction === 'desc' ? 'asc' : 'desc') : direction;
  const from = filter.before ?? filter.cursor;
  const conditions = filterConditions(merchantId, filter);
  const where = and(...conditions);
  const key = from ? await resolveCursor(db, merchantId, filter.sort, from) : undefined;
  const keyed = !from ? where : key ? and(where, pastKey(filter.sort, readDirection, key)) : sql`false`;
  const [rows, total] = await Promise.all([
    db
      .select({ row: payments, key: sortKeyText(filter.sort) })
      .from(payments)
      .where(keyed)
      .orderBy(...orderBy(filter.sort, readDirection))
      .limit(filter.limit + 1),
    options.count ? countUpTo(db, where) : undefined,
  ]);
  const more = rows.length > filter.limit;
  const page = rows.slice(0, filter.limit);
  if (backwards) page.reverse();
  const cursorOf = (r: (typeof page)[number]) => encodeCursor(filter.sort, { value: r.key, id: r.row.id });
  const first = page[0];
  const last = page[page.length - 1];
  return {
    items: page.map((r) => toPaymentView(r.row)),
    // Reading forwards, rows before exist when a cursor brought us here; reading backwards, rows after do.
    nextCursor: last && (backwards ? true : more) ? cursorOf(last) : null,
    prevCursor: first && (backwards ? more : Boolean(from)) ? cursorOf(first) : null,
    ...(total ?? {}),
  };
}

async function countUpTo(db: Database, where: SQL | undefined): Promise<{ total: number; totalExact: boolean }> {
  const capped = db
    .select({ one: sql`1` })
    .from(payments)
    .where(where)
    .limit(COUNT_CAP + 1)
    .as('capped');
  const [row] = await db.select({ n: count() }).from(capped);
  const n = row?.n ?? 0;
  return n > COUNT_CAP ? { total: COUNT_CAP, totalExact: false } : { total: n, totalExact: true };
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
