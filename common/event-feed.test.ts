import { describe, expect, it } from 'vitest';
import { FEED_EVENT_TYPES, decodeFeedCursor, encodeFeedCursor, listEventsInput, typesOf } from './event-feed.js';
import { NOTICE_TYPES, PAYMENT_EVENT_TYPES } from './vocabulary.js';

describe('feed cursor', () => {
  it('round-trips positions, transaction ids past 2^53 included', () => {
    for (const p of [
      { tx: '0', id: 0 },
      { tx: '748', id: 12 },
      { tx: '18446744073709551615', id: Number.MAX_SAFE_INTEGER },
    ]) {
      const cursor = encodeFeedCursor(p);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeFeedCursor(cursor)).toEqual(p);
    }
  });

  it('refuses text it never gave out, and non-canonical spellings of a position', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    for (const bad of [
      '',
      'nonsense!',
      b64('12'),
      b64('1.2.3'),
      b64('-1.2'),
      b64('18446744073709551616.1'),
      b64('1.9007199254740992'),
      b64('01.2'),
    ])
      expect(decodeFeedCursor(bad), bad).toBeUndefined();
    // The same bytes with padding are another spelling.
    expect(decodeFeedCursor(`${encodeFeedCursor({ tx: '5', id: 5 })}=`)).toBeUndefined();
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
