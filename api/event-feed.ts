import { decodeFeedCursor, encodeFeedCursor, typesOf, type ListEventsInput } from '../common/event-feed.js';
import { comparableDate } from '../common/text-rules.js';
import { eventView, readEvents, type EventQuery } from '../db/event-feed.js';
import type { MerchantContext } from './trpc.js';

/**
 * A page of the merchant's events feed, newest first. Without a cursor: the newest events.
 * `cursor`: the events older than it. `before`: the events just newer than it (the oldest of
 * them first, so a poller never skips any), still listed newest first.
 */
export async function listEvents(ctx: Pick<MerchantContext, 'db' | 'merchantId' | 'config'>, input: ListEventsInput) {
  const anchor = input.before ?? input.cursor;
  const position = anchor === undefined ? undefined : decodeFeedCursor(anchor)!;
  const newer = input.before !== undefined;
  const query: EventQuery = {
    merchantId: ctx.merchantId,
    types: typesOf(input.types),
    paymentId: input.paymentId,
    createdFrom: input.createdFrom ? comparableDate(input.createdFrom) : undefined,
    createdTo: input.createdTo ? comparableDate(input.createdTo) : undefined,
    from: position && { position, direction: newer ? 'newer' : 'older' },
    take: input.limit + 1,
    retentionMs: ctx.config.EVENT_RETENTION,
  };
  const { horizon, rows } = await readEvents(ctx.db, query);
  const more = rows.length > input.limit;
  const page = rows.slice(0, input.limit).map(eventView);
  if (newer) page.reverse();
  const items = page.map(({ cursor: _, ...item }) => item);
  const newest = page[0]?.cursor;
  const oldest = page.at(-1)?.cursor;
  // Everything before the horizon is final, so "newer than (horizon, 0)" is exactly what comes next.
  const resume = anchor ?? encodeFeedCursor({ tx: horizon, id: 0 });
  return {
    items,
    // Reading newer events, an older page always exists: the one the cursor came from.
    nextCursor: newer ? (oldest ?? null) : more ? oldest! : null,
    prevCursor: newest ?? resume,
  };
}
