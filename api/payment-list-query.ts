import { and, gte, ilike, like, lte, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { PAYMENT_STATUSES } from '../common/vocabulary.js';
import { paymentId } from '../common/payment.js';
import { payments } from '../db/schema.js';
import { TRPCError } from './trpc.js';

/** Pieces of the payment list's SQL: the sort key, its cursors and the free-text search. */

export const PAYMENT_SORTS = ['createdAt', 'amount', 'status', 'scheduledAt'] as const;
export type PaymentSort = (typeof PAYMENT_SORTS)[number];
export type SortDirection = 'asc' | 'desc';

/**
 * Each sort key as the text a cursor carries and the SQL that turns that text back into the
 * column's type. Timestamps travel as epoch microseconds: Postgres keeps microseconds, a JS Date
 * only milliseconds, and a cursor that rounds would skip or repeat rows.
 */
const SORT_KEYS = {
  createdAt: {
    column: payments.createdAt,
    text: sql<string>`(extract(epoch from ${payments.createdAt}) * 1000000)::bigint::text`,
    valid: /^-?\d{1,17}$/,
    value: (v: string) => sql`(timestamptz 'epoch' + ${v}::bigint * interval '1 microsecond')`,
  },
  scheduledAt: {
    column: payments.scheduledAt,
    text: sql<string>`(extract(epoch from ${payments.scheduledAt}) * 1000000)::bigint::text`,
    valid: /^-?\d{1,17}$/,
    value: (v: string) => sql`(timestamptz 'epoch' + ${v}::bigint * interval '1 microsecond')`,
  },
  amount: {
    column: payments.amount,
    text: sql<string>`${payments.amount}::text`,
    valid: /^-?\d{1,18}$/,
    value: (v: string) => sql`${v}::bigint`,
  },
  status: {
    column: payments.status,
    text: sql<string>`${payments.status}`,
    valid: new RegExp(`^(${PAYMENT_STATUSES.join('|')})$`),
    value: (v: string) => sql`${v}::text`,
  },
} satisfies Record<PaymentSort, unknown>;

/** Where a page starts or ends: the sort key's value (none when sorting by id alone) and the id. */
export interface ListKey {
  value?: string;
  id: string;
}

const cursorBody = z.object({ s: z.enum(PAYMENT_SORTS), v: z.string(), id: paymentId }).strict();

/**
 * Without a sort the list is ordered by id alone, and its cursor is the bare id, as it always was;
 * with one, the cursor is opaque (base64url JSON) and names its sort, so it cannot be replayed
 * against another order.
 */
export function encodeCursor(sort: PaymentSort | undefined, key: ListKey): string {
  if (!sort) return key.id;
  return Buffer.from(JSON.stringify({ s: sort, v: key.value, id: key.id })).toString('base64url');
}

const badCursor = (message: string) =>
  new TRPCError({ code: 'BAD_REQUEST', message: `cursor: ${message}; start again from the first page without a cursor` });

export function decodeCursor(sort: PaymentSort | undefined, cursor: string): ListKey {
  if (!sort) {
    if (!paymentId.safeParse(cursor).success) throw badCursor('this list is ordered by id, so its cursor is a payment id');
    return { id: cursor };
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('not a cursor this list gave out');
  }
  const parsed = cursorBody.safeParse(body);
  if (!parsed.success) throw badCursor('not a cursor this list gave out');
  if (parsed.data.s !== sort) throw badCursor(`it belongs to a list sorted by ${parsed.data.s}, not ${sort}`);
  if (!SORT_KEYS[sort].valid.test(parsed.data.v)) throw badCursor('not a cursor this list gave out');
  return { value: parsed.data.v, id: parsed.data.id };
}

/** The sort key's text for each row, so the page's first and last rows can become cursors. */
export const sortKeyText = (sort: PaymentSort | undefined) => (sort ? SORT_KEYS[sort].text : sql<string>`''`);

/** ORDER BY for the sort, the id breaking ties so that rows with equal keys keep one order. */
export function orderBy(sort: PaymentSort | undefined, direction: SortDirection): SQL[] {
  const dir = sql.raw(direction);
  return sort ? [sql`${SORT_KEYS[sort].column} ${dir}`, sql`${payments.id} ${dir}`] : [sql`${payments.id} ${dir}`];
}

/** Rows strictly past `key` in the given direction: a row comparison, which the (merchant, key, id) indexes serve. */
export function pastKey(sort: PaymentSort | undefined, direction: SortDirection, key: ListKey): SQL {
  const op = sql.raw(direction === 'desc' ? '<' : '>');
  if (!sort) return sql`${payments.id} ${op} ${key.id}`;
  const k = SORT_KEYS[sort];
  return sql`(${k.column}, ${payments.id}) ${op} (${k.value(key.value!)}, ${key.id})`;
}

const escapeLike = (text: string) => text.replace(/[%_\\]/g, '\\$&');

/** A payment id's ULID part: Crockford base32, which has no I, L, O or U. */
const ID_PREFIX = /^(?:pay_)?([0-9a-hjkmnp-tv-z]{1,26})$/i;

/**
 * `q`: the beginning of a payment id (any case, with or without `pay_`), or a piece of the
 * reference or description (any case). Ids are upper-case ULIDs, so the id part upper-cases the
 * input and is a range on the primary key; the text part is ILIKE, served by trigram indexes.
 */
export function searchCondition(q: string): SQL {
  const term = q.trim();
  const contains = `%${escapeLike(term)}%`;
  const text = or(ilike(payments.reference, contains), ilike(payments.description, contains))!;
  const ulid = ID_PREFIX.exec(term)?.[1]?.toUpperCase();
  if (!ulid) return text;
  const prefix = `pay_${ulid}`;
  // The range lets the primary key find the ids; LIKE keeps the match exact whatever the collation.
  const idStarts = and(gte(payments.id, prefix), lte(payments.id, prefix.padEnd(30, 'Z')), like(payments.id, `${escapeLike(prefix)}%`))!;
  return or(idStarts, text)!;
}
