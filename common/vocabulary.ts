/**
 * The words the whole system shares: statuses, event types and kinds, defined once. Plain
 * constant arrays with no dependency, so the Drizzle columns, the zod schemas, the workflow and the
 * dashboard's browser code can all import them. Add a word here and every layer sees it.
 */

export const PAYMENT_STATUSES = ['pending', 'processing', 'completed', 'failed', 'canceled'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const TERMINAL_STATUSES: readonly PaymentStatus[] = ['completed', 'failed', 'canceled'];
export const isTerminal = (status: PaymentStatus): boolean => TERMINAL_STATUSES.includes(status);

/** Events in a payment's timeline, and the webhook event types a merchant can subscribe to. */
export const PAYMENT_EVENT_TYPES = [
  'payment.created',
  'payment.processing',
  'payment.completed',
  'payment.failed',
  'payment.canceled',
  'webhook.delivered',
  'webhook.failed',
] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

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
