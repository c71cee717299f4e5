import { describe, expect, it } from 'vitest';
import { FEED_EVENT_TYPES, decodeFeedCursor, encodeFeedCursor, listEventsInput, typesOf } from './event-feed.js';
import { NOTICE_TYPES, PAYMENT_EVENT_TYPES } from './vocabulary.js';

describe('feed cursor', () => {
  it('round-trips positions, transaction ids past 2^53 included', () => {
    for (const p of [
      { tx: '0', id: 0 },
      { tx: '748', id: 12 },
      { tx: '9223372036854775807', id: 999_999_999_999_999 },
    ]) {
      const cursor = encodeFeedCursor(p);
      expect(listEventsInput.safeParse({ cursor }).success).toBe(true);
      expect(decodeFeedCursor(cursor)).toEqual(p);
    }
  });

  it('refuses text that is not a position; any text the pattern admits is one (leading zeros: the same)', () => {
    for (const bad of ['', 'nonsense!', '12', '1.2.3', '-1.2', '12345678901234567890.1', '1.1234567890123456', ' 1.2', '1.2\n']) {
      expect(decodeFeedCursor(bad), bad).toBeUndefined();
      expect(listEventsInput.safeParse({ cursor: bad }).success, bad).toBe(false);
    }
    expect(decodeFeedCursor('0001.0002')).toEqual({ tx: '1', id: 2 });
  });
});

describe('list input', () => {
  it('takes its types from the vocabulary: every payment event and every notice', () => {
    expect(FEED_EVENT_TYPES).toEqual([...PAYMENT_EVENT_TYPES, ...NOTICE_TYPES]);
  });

  it('accepts one type or several, and names the field of a word the vocabulary lacks', () => {
    expect(typesOf(listEventsInput.parse({ types: 'refund.succeeded' }).types)).toEqual(['refund.succeeded']);
    expect(typesOf(listEventsInput.parse({ types: ['payment.amended', 'webhook.message.failed'] }).types)).toHaveLength(2);
    expect(typesOf(listEventsInput.parse({}).types)).toBeUndefined();
    const bad = listEventsInput.safeParse({ types: ['payment.created', 'payment.exploded'] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path[0]).toBe('types');
    expect(listEventsInput.safeParse({ limit: 101 }).success).toBe(false);
    expect(listEventsInput.safeParse({ cursor: 'abc' }).success).toBe(false);
    expect(listEventsInput.parse(undefined).limit).toBe(50);
  });
});
