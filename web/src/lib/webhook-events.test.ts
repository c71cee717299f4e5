import { describe, expect, it } from 'vitest';
import { NOTICE_TYPES, PAYMENT_EVENT_TYPES } from '../../../common/vocabulary.js';
import { SUBSCRIBABLE_EVENT_TYPES, isSubscribable } from './webhook-events.js';

describe('subscribable webhook events', () => {
  it("are a payment's life events and the notices, not the reports about webhook delivery", () => {
    expect(SUBSCRIBABLE_EVENT_TYPES).toContain('payment.completed');
    expect(SUBSCRIBABLE_EVENT_TYPES).toContain('refund.succeeded');
    const ownReports = PAYMENT_EVENT_TYPES.filter((t) => t.startsWith('webhook.'));
    expect(ownReports.length).toBeGreaterThan(0);
    expect(SUBSCRIBABLE_EVENT_TYPES.every((t) => !(ownReports as string[]).includes(t))).toBe(true);
    expect(SUBSCRIBABLE_EVENT_TYPES.every((t) => PAYMENT_EVENT_TYPES.includes(t as never) || NOTICE_TYPES.includes(t as never))).toBe(true);
  });

  it('refuse delivery reports and words outside the vocabulary (negative control)', () => {
    expect(isSubscribable('payment.canceled')).toBe(true);
    expect(isSubscribable('webhook.endpoint.disabled')).toBe(true);
    expect(isSubscribable('webhook.delivered')).toBe(false);
    expect(isSubscribable('payment.refunded')).toBe(false);
  });
});
