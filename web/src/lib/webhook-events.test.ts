import { describe, expect, it } from 'vitest';
import { PAYMENT_EVENT_TYPES } from '../../../common/vocabulary.js';
import { SUBSCRIBABLE_EVENT_TYPES, isSubscribable } from './webhook-events.js';

describe('subscribable webhook events', () => {
  it("are a payment's own events from the vocabulary, not the reports about webhook delivery", () => {
    expect(SUBSCRIBABLE_EVENT_TYPES).toContain('payment.completed');
    expect(SUBSCRIBABLE_EVENT_TYPES.every((t) => PAYMENT_EVENT_TYPES.includes(t) && !t.startsWith('webhook.'))).toBe(true);
  });

  it('refuse delivery reports and words outside the vocabulary (negative control)', () => {
    expect(isSubscribable('payment.canceled')).toBe(true);
    expect(isSubscribable('webhook.delivered')).toBe(false);
    expect(isSubscribable('payment.refunded')).toBe(false);
  });
});
