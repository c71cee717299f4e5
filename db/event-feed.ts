import { sql, type SQL } from 'drizzle-orm';
import { encodeFeedCursor, type FeedEventType, type FeedEventView, type FeedPosition } from '../common/event-feed.js';
import type { Database } from './client.js';
import type { Bind } from './compiled-statement.js';
import { events } from './schema.js';

/**
 * The CTE `feed` for the projection's statement: one feed row for the timeline entry the
 * statement inserted (`entry`), none when the entry existed already, so a retried or late
 * projection adds nothing. Over `eventValues`: the payload is the event's webhook payload.
 */
export function feedEntryCte(v: Bind): SQL {
  return sql`feed as (
      insert into ${events} (merchant_id, type, payment_id, payment_version, payload)
      select ${v('ev_merchant_id')}::text, ${v('ev_type')}::text, ${v('ev_payment_id')}::text, version, ${v('ev_payload')}::jsonb
      from entry
    )`;
}

export interface EventQuery {
  merchantId: string;
  types?: FeedEventType[];
  paymentId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  /** Older than this (newest first), or newer than this (read oldest first, then reversed). */
  from?: { position: FeedPosition; direction: 'older' | 'newer' };
  /** Rows to read: the page's size plus one, to know whether there are more. */
  take: number;
  retentionMs: number;
}

export interface EventRow {
  id: number;
  tx: string;
  type: FeedEventType;
  payment_id: string | null;
  created_at: string;
  payload: Record<string, unknown>;
}

/**
 * One statement: the horizon (the oldest transaction still running) and the rows before it.
 * The horizon is returned even when no row matches, so an empty page still has a cursor.
 */
export function eventQuery(q: EventQuery): SQL {
  const newer = q.from?.direction === 'newer';
  const filters: SQL[] = [
    sql`e.merchant_id = ${q.merchantId}`,
    // Rows of transactions still running, or that started after one still running, wait: see common/event-feed.ts.
    sql`e.tx < h.horizon`,
    sql`e.created_at >= now() - ${q.retentionMs} * interval '1 millisecond'`,
  ];
  if (q.types) filters.push(sql`e.type = any(${typesArray(q.types)})`);
  if (q.paymentId) filters.push(sql`e.payment_id = ${q.paymentId}`);
  if (q.createdFrom) filters.push(sql`e.created_at >= ${q.createdFrom.toISOString()}::timestamptz`);
  if (q.createdTo) filters.push(sql`e.created_at < ${q.createdTo.toISOString()}::timestamptz`);
  if (q.from) {
    const { tx, id } = q.from.position;
    filters.push(newer ? sql`(e.tx, e.id) > (${tx}::xid8, ${id}::bigint)` : sql`(e.tx, e.id) < (${tx}::xid8, ${id}::bigint)`);
  }
  const order = newer ? sql`e.tx asc, e.id asc` : sql`e.tx desc, e.id desc`;
  return sql`select h.horizon::text as horizon, r.*
    from (select pg_snapshot_xmin(pg_current_snapshot()) as horizon) h
    left join lateral (
      select e.id, e.tx::text as tx, e.type, e.payment_id, e.created_at, e.payload
      from ${events} e
      where ${sql.join(filters, sql` and `)}
      order by ${order}
      limit ${q.take}
    ) r on true`;
}

const typesArray = (types: FeedEventType[]) =>
  sql`array[${sql.join(
    types.map((t) => sql`${t}`),
    sql`, `,
  )}]::text[]`;

/** The feed's rows and the horizon, in the order read. */
export async function readEvents(db: Database, q: EventQuery): Promise<{ horizon: string; rows: EventRow[] }> {
  // The left join gives one row of nulls beside the horizon when nothing matches; bigint ids come back as text.
  type Read = { horizon: string } & { [K in keyof EventRow]: EventRow[K] | null };
  const result = await db.execute<Read>(eventQuery(q));
  const horizon = result.rows[0]!.horizon;
  const rows = result.rows.filter((r) => r.id !== null).map(({ horizon: _, ...r }) => ({ ...r, id: Number(r.id) }) as EventRow);
  return { horizon, rows };
}

export function eventView(row: EventRow): FeedEventView & { cursor: string } {
  return {
    id: `evt_${row.id}`,
    type: row.type,
    paymentId: row.payment_id,
    createdAt: new Date(row.created_at).toISOString(),
    data: row.payload,
    cursor: encodeFeedCursor({ tx: row.tx, id: row.id }),
  };
}

/**
 * Deletes events older than the retention, oldest first, at most `batch` rows a statement and
 * `maxBatches` statements a call, so one run never holds locks or the pool for long. Returns
 * how many rows went.
 */
export async function pruneEvents(db: Database, retentionMs: number, batch = 1000, maxBatches = 20): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const result = await db.execute(sql`delete from ${events} where id in (
        select id from ${events} where created_at < now() - ${retentionMs} * interval '1 millisecond'
        order by created_at limit ${batch})`);
    const count = result.rowCount ?? 0;
    deleted += count;
    if (count < batch) break;
  }
  return deleted;
}
