import { PAYMENT_EVENT_TYPES, type PaymentEventType } from '../../../common/vocabulary.js';

export type SubscribableEventType = Extract<PaymentEventType, `payment.${string}`>;

/**
 * The events an endpoint can subscribe to: a payment's own, not the reports about webhook delivery
 * (which would notify an endpoint about itself). The API accepts the same set.
 */
export const SUBSCRIBABLE_EVENT_TYPES: readonly SubscribableEventType[] = PAYMENT_EVENT_TYPES.filter((t): t is SubscribableEventType =>
  t.startsWith('payment.'),
);

export const isSubscribable = (type: string): type is SubscribableEventType =>
  (SUBSCRIBABLE_EVENT_TYPES as readonly string[]).includes(type);
