/**
 * The words the whole system shares: statuses, event types and kinds, defined once. Plain
 * constant arrays with no dependency, so the Drizzle columns, the zod schemas, the workflow and the
 * dashboard's browser code can all import them. Add a word here and every layer sees it.
 */

export const PAYMENT_STATUSES = ['pending', 'processing', 'completed', 'failed', 'canceled'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const TERMINAL_STATUSES: readonly PaymentStatus[] = ['completed', 'failed', 'canceled'];
export const isTerminal = (status: PaymentStatus): boolean => TERMINAL_STATUSES.includes(status);

/** Events of a payment's own life: the webhook event types a merchant's endpoints can subscribe to. */
export const SUBSCRIBABLE_EVENT_TYPES = [
  'payment.created',
  'payment.processing',
  'payment.completed',
  'payment.failed',
  'payment.canceled',
] as const;
export type SubscribableEventType = (typeof SUBSCRIBABLE_EVENT_TYPES)[number];
export const isSubscribable = (type: string): type is SubscribableEventType =>
  (SUBSCRIBABLE_EVENT_TYPES as readonly string[]).includes(type);

/** Events in a payment's timeline: its own life, then what became of its own `webhookUrl` call. */
export const PAYMENT_EVENT_TYPES = [...SUBSCRIBABLE_EVENT_TYPES, 'webhook.delivered', 'webhook.failed'] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

/** What an operator's "send a test event" sends; an endpoint gets it whatever it subscribed to. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';
/** The `type` of a webhook message: a subscribable payment event or the test event. */
export const WEBHOOK_MESSAGE_EVENT_TYPES = [...SUBSCRIBABLE_EVENT_TYPES, WEBHOOK_TEST_EVENT_TYPE] as const;
export type WebhookMessageEventType = (typeof WEBHOOK_MESSAGE_EVENT_TYPES)[number];

/** Where a payment's own `webhookUrl` delivery stands, and where each webhook message stands. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Operator notices: what went wrong outside a payment's own timeline. */
export const NOTICE_TYPES = ['webhook.message.failed', 'webhook.endpoint.disabled', 'payment.projection_refused'] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

export const PAYMENT_METHOD_TYPES = ['card', 'bank_account'] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

/** The built-in gateway simulator's ledger. */
export const SIMULATOR_CHARGE_STATUSES = ['attempted', 'authorized', 'captured', 'voided'] as const;
export type SimulatorChargeStatus = (typeof SIMULATOR_CHARGE_STATUSES)[number];

/** One entry per word, in the vocabulary's order: a record that is complete whatever words are added. */
export function recordOf<W extends string, V>(words: readonly W[], value: (word: W) => V): Record<W, V> {
  return Object.fromEntries(words.map((w) => [w, value(w)])) as Record<W, V>;
}
