import type { PaymentEventType } from '../../../common/vocabulary.js';

const TITLE: Record<PaymentEventType, string> = {
  'payment.created': 'Payment created',
  'payment.amended': 'Payment amended',
  'payment.processing': 'Processing started',
  'payment.requires_capture': 'Payment authorized, awaiting capture',
  'payment.completed': 'Payment completed',
  'payment.failed': 'Payment failed',
  'payment.canceled': 'Payment canceled',
  'refund.created': 'Refund requested',
  'refund.succeeded': 'Refund succeeded',
  'refund.failed': 'Refund failed',
  'webhook.delivered': 'Webhook delivered',
  'webhook.failed': 'Webhook delivery failed',
};

/** How each detail the workflow records reads to a person; unknown keys keep their name. */
const FIELD: Record<string, string> = {
  reason: 'Reason',
  step: 'Failed at',
  compensated: 'Authorization voided',
  authorizationId: 'Authorization',
  early: 'Processed early on request',
  messageId: 'Message',
  statusCode: 'Receiver answered',
  attempts: 'Attempts',
  error: 'Error',
  capturableAmount: 'Capturable (minor units)',
  capturedAmount: 'Captured (minor units)',
  captureBefore: 'Capture before',
  refundId: 'Refund',
  amount: 'Amount (minor units)',
  connector: 'Connector',
  connectorAccountId: 'Connector account',
};

export function eventTitle(type: PaymentEventType): string {
  return TITLE[type];
}

/** The details as label/value lines; values that are not plain text stay in the raw JSON view. */
export function eventFacts(details: Record<string, unknown>): Array<{ label: string; value: string }> {
  const facts: Array<{ label: string; value: string }> = [];
  for (const [key, value] of Object.entries(details)) {
    if (key === 'changes' && isChanges(value)) {
      facts.push(...amendedFacts(value));
      continue;
    }
    if (key === 'failedOver' && isFailovers(value)) {
      facts.push(...value.map((f) => ({ label: 'Failed over from', value: `${f.connector} ${f.accountId ?? '(built-in)'}: ${f.reason}` })));
      continue;
    }
    if (value === null || value === undefined || value === '') continue;
    if (typeof value === 'boolean') facts.push({ label: FIELD[key] ?? key, value: value ? 'yes' : 'no' });
    else if (typeof value === 'string' || typeof value === 'number') facts.push({ label: FIELD[key] ?? key, value: String(value) });
  }
  return facts;
}

/** How each amended field reads (payment.amended's `changes`). */
const AMENDED: Record<string, string> = {
  amount: 'Amount (minor units)',
  currency: 'Currency',
  delaySeconds: 'Delay (s from creation)',
  scheduledAt: 'Scheduled',
  webhookUrl: 'Webhook URL',
  description: 'Description',
  metadata: 'Metadata',
};

type Failover = { connector: string; accountId: string | null; reason: string };

function isFailovers(value: unknown): value is Failover[] {
  return Array.isArray(value) && value.every((f) => !!f && typeof f === 'object' && 'connector' in f && 'reason' in f);
}

type Changes = Record<string, { before: unknown; after: unknown }>;

function isChanges(value: unknown): value is Changes {
  return (
    !!value && typeof value === 'object' && Object.values(value).every((c) => !!c && typeof c === 'object' && 'before' in c && 'after' in c)
  );
}

/** One fact per amended field: before → after (a removed value reads as "none"). */
function amendedFacts(changes: Changes): Array<{ label: string; value: string }> {
  const text = (v: unknown) => (v === null || v === undefined ? 'none' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return Object.entries(changes).map(([field, { before, after }]) => ({
    label: AMENDED[field] ?? field,
    value: `${text(before)} → ${text(after)}`,
  }));
}
