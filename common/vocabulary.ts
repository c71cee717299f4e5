/**
 * The words the whole system shares: statuses, event types and kinds, defined once. Plain
 * constant arrays with no dependency, so the Drizzle columns, the zod schemas, the workflow and the
 * dashboard's browser code can all import them. Add a word here and every layer sees it.
 */

export const PAYMENT_STATUSES = [
  'pending',
  'processing',
  /** Manual capture: authorized, waiting for the merchant to capture (or for the window to end). */
  'requires_capture',
  'completed',
  'failed',
  'canceled',
  /** A completed payment after refunds: some of the captured amount returned, or all of it. */
  'partially_refunded',
  'refunded',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
/** Processing is over: no more gateway calls for the charge itself (refunds may still follow a completed one). */
export const TERMINAL_STATUSES: readonly PaymentStatus[] = ['completed', 'failed', 'canceled', 'partially_refunded', 'refunded'];
export const isTerminal = (status: PaymentStatus): boolean => TERMINAL_STATUSES.includes(status);

/** Operator notices: what went wrong outside a payment's own timeline. */
export const NOTICE_TYPES = ['webhook.message.failed', 'webhook.endpoint.disabled', 'payment.projection_refused'] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

/** Events of a payment's own life, its refunds included. */
export const PAYMENT_LIFE_EVENT_TYPES = [
  'payment.created',
  'payment.amended',
  'payment.processing',
  'payment.requires_capture',
  'payment.completed',
  'payment.failed',
  'payment.canceled',
  'refund.created',
  'refund.succeeded',
  'refund.failed',
] as const;
export type PaymentLifeEventType = (typeof PAYMENT_LIFE_EVENT_TYPES)[number];

/** The webhook event types a merchant's endpoints can subscribe to: a payment's life, and the notices. */
export const SUBSCRIBABLE_EVENT_TYPES = [...PAYMENT_LIFE_EVENT_TYPES, ...NOTICE_TYPES] as const;
export type SubscribableEventType = (typeof SUBSCRIBABLE_EVENT_TYPES)[number];
export const isSubscribable = (type: string): type is SubscribableEventType =>
  (SUBSCRIBABLE_EVENT_TYPES as readonly string[]).includes(type);

/** Events in a payment's timeline: its own life, then what became of its own `webhookUrl` call. */
export const PAYMENT_EVENT_TYPES = [...PAYMENT_LIFE_EVENT_TYPES, 'webhook.delivered', 'webhook.failed'] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

/** What an operator's "send a test event" sends; an endpoint gets it whatever it subscribed to. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';
/** The `type` of a webhook message: a subscribable payment event or the test event. */
export const WEBHOOK_MESSAGE_EVENT_TYPES = [...SUBSCRIBABLE_EVENT_TYPES, WEBHOOK_TEST_EVENT_TYPE] as const;
export type WebhookMessageEventType = (typeof WEBHOOK_MESSAGE_EVENT_TYPES)[number];

/** Where a payment's own `webhookUrl` delivery stands, and where each webhook message stands. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** When the authorized amount is taken: at once, or when the merchant asks (within a window). */
export const CAPTURE_METHODS = ['automatic', 'manual'] as const;
export type CaptureMethod = (typeof CAPTURE_METHODS)[number];

export const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const PAYMENT_METHOD_TYPES = ['card', 'bank_account'] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

/** The processors a merchant can connect; `simulator` is the built-in one every merchant starts with. */
export const CONNECTOR_KINDS = ['simulator', 'stripe'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/** The calls the workflow makes to a connector, as the attempts log names them. */
export const CONNECTOR_STEPS = ['authorize', 'capture', 'void', 'refund', 'status'] as const;
export type ConnectorStep = (typeof CONNECTOR_STEPS)[number];

/**
 * How one call to a connector ended: `declined` for good; `unavailable` provably unprocessed (safe to
 * fail over); `unknown` (timeout, 5xx: retried with the same key); `skipped` not sent (circuit open).
 */
export const ATTEMPT_OUTCOMES = ['succeeded', 'declined', 'unavailable', 'unknown', 'skipped'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** The built-in gateway simulator's ledger. */
export const SIMULATOR_CHARGE_STATUSES = ['attempted', 'authorized', 'captured', 'voided'] as const;
export type SimulatorChargeStatus = (typeof SIMULATOR_CHARGE_STATUSES)[number];

/** One entry per word, in the vocabulary's order: a record that is complete whatever words are added. */
export function recordOf<W extends string, V>(words: readonly W[], value: (word: W) => V): Record<W, V> {
  return Object.fromEntries(words.map((w) => [w, value(w)])) as Record<W, V>;
}
