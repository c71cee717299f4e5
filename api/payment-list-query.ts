import { and, eq, gte, ilike, like, lte, or, sql, type SQL } from 'drizzle-orm';
import { PAYMENT_STATUSES } from '../common/vocabulary.js';
import type { Database } from '../db/client.js';
import { payments } from '../db/schema.js';

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
    value: (v: string) => sql`(timestamptz 'epoch' + ${v}::bigint * interval '1 microsecond')`,
  },
  scheduledAt: {
    column: payments.scheduledAt,
    text: sql<string>`(extract(epoch from ${payments.scheduledAt}) * 1000000)::bigint::text`,
    value: (v: string) => sql`(timestamptz 'epoch' + ${v}::bigint * interval '1 microsecond')`,
  },
  amount: {
    column: payments.amount,
    text: sql<string>`${payments.amount}::text`,
    value: (v: string) => sql`${v}::bigint`,
  },
  status: {
    column: payments.status,
    text: sql<string>`${payments.status}`,
    value: (v: string) => sql`${v}::text`,
  },
} satisfies Record<PaymentSort, unknown>;

/** Where a page starts or ends: the sort key's value (none when sorting by id alone) and the id. */
export interface ListKey {
  value?: string;
  id: string;
}

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const VALUE_PATTERNS: Record<PaymentSort, string> = {
  createdAt: '-?\\d{1,17}',
  scheduledAt: '-?\\d{1,17}',
  amount: '-?\\d{1,18}',
  status: `(?:${PAYMENT_STATUSES.join('|')})`,
};

/**
 * Every cursor the schema admits means something, so a well-formed request is never refused: a
 * payment id alone ("after this payment"), or the id with the sort key it had when the page was
 * read (`pay_….amount.1200`), which keeps paging steady when that payment changes meanwhile.
 */
export const LIST_CURSOR = new RegExp(
  `^pay_${ULID}(?:\\.(?:${PAYMENT_SORTS.map((sort) => `${sort}\\.${VALUE_PATTERNS[sort]}`).join('|')}))?$`,
);

/** Without a sort the list is ordered by id alone and its cursor is the bare id, as it always was. */
export function encodeCursor(sort: PaymentSort | undefined, key: ListKey): string {
  return sort ? `${key.id}.${sort}.${key.value}` : key.id;
}

/**
 * The key a cursor names for this sort: its own value when it was made for this sort, else the
 * named payment's current value (a bare id, or a cursor of another order). A payment the merchant
 * does not have names no place in a sorted list: undefined, and the page is empty.
 */
export async function resolveCursor(
  db: Database,
  merchantId: string,
  sort: PaymentSort | undefined,
  cursor: string,
): Promise<ListKey | undefined> {
  const [id, cursorSort, ...rest] = cursor.split('.');
  if (!sort) return { id: id! };
  if (cursorSort === sort) return { id: id!, value: rest.join('.') };
  const [row] = await db
    .select({ value: SORT_KEYS[sort].text })
    .from(payments)
    .where(and(eq(payments.merchantId, merchantId), eq(payments.id, id!)))
    .limit(1);
  return row && { id: id!, value: row.value };
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
