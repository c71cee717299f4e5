import { z } from 'zod';
import { NOTICE_TYPES, PAYMENT_EVENT_TYPES } from './vocabulary.js';
import { paymentId } from './payment.js';
import { dateTime } from './text-rules.js';

/**
 * The merchant's events feed (`GET /api/v1/events`): every timeline entry of every payment and
 * every operator notice, in one append-only list. Its types are the vocabulary's own, so a word
 * added there is listed and filterable here without a change.
 */
export const FEED_EVENT_TYPES = [...PAYMENT_EVENT_TYPES, ...NOTICE_TYPES] as const;
export type FeedEventType = (typeof FEED_EVENT_TYPES)[number];
export const feedEventType = z.enum(FEED_EVENT_TYPES);

export const MAX_EVENT_PAGE = 100;

/**
 * A position in the feed. The feed is ordered by (transaction id, row id), not by row id alone:
 * ids are drawn when a row is inserted but become visible when its transaction commits, so a
 * lower id can appear after a higher one was listed. Only transactions older than every running
 * one are listed, and a new one always has a higher transaction id, so nothing ever appears
 * behind a cursor a consumer already holds.
 */
export interface FeedPosition {
  /** The writing transaction's id (`xid8`), as decimal text: it may exceed 2^53. */
  tx: string;
  id: number;
}

/**
 * A cursor is `tx.id` in decimal. Every text the pattern admits names a position (leading zeros
 * included: the same position), so a well-formed cursor is never refused and the OpenAPI pattern
 * says exactly which texts are cursors. The bounds keep both numbers exact: 19 digits stay below
 * 2^64 (xid8), 15 below 2^53 (a bigserial id this feed will not reach).
 */
const CURSOR_PATTERN = /^(\d{1,19})\.(\d{1,15})$/;

/** Clients treat it as opaque; it is readable only so that its pattern can be published. */
export function encodeFeedCursor(p: FeedPosition): string {
  return `${p.tx}.${p.id}`;
}

/** The position a cursor names, or undefined for text that is not one. */
export function decodeFeedCursor(cursor: string): FeedPosition | undefined {
  const match = CURSOR_PATTERN.exec(cursor);
  if (!match) return undefined;
  return { tx: BigInt(match[1]!).toString(), id: Number(match[2]) };
}

const feedCursor = z.string().regex(CURSOR_PATTERN, 'must be a cursor this feed gave out (`nextCursor` or `prevCursor`)');

export const listEventsInput = z
  .object({
    types: z
      // The union's own message is "Invalid input": say which words are allowed instead.
      .union([feedEventType, z.array(feedEventType).min(1).max(FEED_EVENT_TYPES.length)], {
        error: `must be one or more of ${FEED_EVENT_TYPES.join(', ')} (repeat the parameter for several)`,
      })
      .optional()
      .describe('Only these event types: one, or repeat the parameter (`types=payment.completed&types=refund.succeeded`)'),
    paymentId: paymentId.optional().describe("Only this payment's events and the notices about it"),
    createdFrom: dateTime.optional().describe('Only events recorded at or after this time'),
    createdTo: dateTime.optional().describe('Only events recorded before this time'),
    cursor: feedCursor.optional().describe('The older page: a `nextCursor`'),
    before: feedCursor
      .optional()
      .describe('The newer page: a `prevCursor` (wins over `cursor`). Polling with it returns what arrived since, oldest page first'),
    limit: z.number().int().min(1).max(MAX_EVENT_PAGE, `must be at most ${MAX_EVENT_PAGE}`).default(50),
  })
  .strict()
  .prefault({});
export type ListEventsInput = z.output<typeof listEventsInput>;

export const feedEventView = z.object({
  id: z.string().describe('evt_ and the event number'),
  type: feedEventType,
  paymentId: z.string().nullable(),
  createdAt: z.string(),
  data: z.record(z.string(), z.unknown()).describe('What a webhook of this event carries'),
});
export type FeedEventView = z.infer<typeof feedEventView>;

export const eventPage = z.object({
  items: z.array(feedEventView).describe('Newest first'),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for older events; null when there are none'),
  prevCursor: z
    .string()
    .nullable()
    .describe('Pass as `before` for newer events; given even for an empty page, so a poller always has a place to resume'),
});

/** The `types` parameter as a list, whether one was given or several. */
export const typesOf = (types: ListEventsInput['types']): FeedEventType[] | undefined =>
  types === undefined ? undefined : Array.isArray(types) ? types : [types];
