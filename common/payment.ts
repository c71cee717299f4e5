import { z } from 'zod';
import './zod-messages.js';
import { CARD_NUMBER_MESSAGE, containsCardNumber, freeText, textsIn } from './text-rules.js';
import { DEFAULT_DELAY_SECONDS, MAX_AMOUNT, MAX_DATA_BYTES, MAX_DELAY_SECONDS } from './payment-rules.js';

import {
  ATTEMPT_OUTCOMES,
  CAPTURE_METHODS,
  CONNECTOR_KINDS,
  CONNECTOR_STEPS,
  NOTICE_TYPES,
  PAYMENT_EVENT_TYPES,
  PAYMENT_METHOD_TYPES,
  PAYMENT_STATUSES,
  SUBSCRIBABLE_EVENT_TYPES,
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_MESSAGE_EVENT_TYPES,
} from './vocabulary.js';

export { PAYMENT_EVENT_TYPES, PAYMENT_STATUSES, TERMINAL_STATUSES } from './vocabulary.js';
export type { PaymentEventType, PaymentStatus } from './vocabulary.js';

/** The vocabulary as zod schemas, for `.input()` and `.output()`. */
export const paymentStatus = z.enum(PAYMENT_STATUSES);
export const paymentEventType = z.enum(PAYMENT_EVENT_TYPES);
export const webhookDeliveryStatus = z.enum(WEBHOOK_DELIVERY_STATUSES);
export const subscribableEventType = z.enum(SUBSCRIBABLE_EVENT_TYPES);
export const webhookMessageEventType = z.enum(WEBHOOK_MESSAGE_EVENT_TYPES);
export const noticeType = z.enum(NOTICE_TYPES);
export const paymentMethodType = z.enum(PAYMENT_METHOD_TYPES);
export const captureMethod = z.enum(CAPTURE_METHODS);

const CURRENCIES = Intl.supportedValuesOf('currency');

/**
 * An ISO-4217 code, in upper case or (as Stripe writes them) lower case, stored in upper case. An
 * enum rather than a pattern, so the OpenAPI document names exactly the codes that are accepted.
 */
export const currencyCode = z
  .enum([...CURRENCIES, ...CURRENCIES.map((c) => c.toLowerCase())] as [string, ...string[]], {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be an ISO-4217 currency code such as EUR'),
  })
  .transform((c) => c.toUpperCase());

export const paymentId = z.string().regex(/^pay_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a payment id such as pay_01J…');

/** Any JSON object the caller wants carried along and echoed back in webhooks, bounded in size. */
export const paymentData = z
  // Bodies arrive as JSON, so any value is JSON; `unknown` keeps the OpenAPI schema simple (no recursion).
  .record(z.string(), z.unknown())
  .refine((d) => Buffer.byteLength(JSON.stringify(d)) <= MAX_DATA_BYTES, {
    message: `must be at most ${MAX_DATA_BYTES} bytes of JSON`,
  })
  .superRefine((d, ctx) => {
    for (const [path, text] of textsIn(d)) {
      if (containsCardNumber(text)) ctx.addIssue({ code: 'custom', path, message: CARD_NUMBER_MESSAGE });
    }
  });

export const MAX_METADATA_KEYS = 50;

/** Stripe's metadata rules: up to 50 keys of at most 40 characters (no brackets), string values of at most 500. */
export const paymentMetadata = z
  .record(
    z
      .string()
      .regex(/^[^[\]]{1,40}$/, 'keys must be 1 to 40 characters without square brackets')
      .refine((key) => !containsCardNumber(key), CARD_NUMBER_MESSAGE),
    freeText(500),
  )
  .refine((m) => Object.keys(m).length <= MAX_METADATA_KEYS, `must have at most ${MAX_METADATA_KEYS} keys`);

export const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048, 'must be at most 2048 characters')
  // fetch refuses such URLs, and credentials would be echoed into attempts and logs.
  .refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), 'must not carry a user name or password');

export const createPaymentInput = z
  .object({
    amount: z
      .number({ error: 'must be an integer number of minor units (cents)' })
      .int('must be an integer number of minor units (cents)')
      .positive('must be greater than 0')
      .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`),
    currency: currencyCode,
    webhookUrl: webhookUrl.optional(),
    delaySeconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(0, 'must be 0 or more')
      .max(MAX_DELAY_SECONDS, `must be at most ${MAX_DELAY_SECONDS} (30 days)`)
      .default(DEFAULT_DELAY_SECONDS),
    data: paymentData.default({}),
    metadata: paymentMetadata.default({}),
    description: freeText(500).optional(),
    paymentMethodId: z
      .string()
      .regex(/^pm_[0-9A-Z]{26}$/, 'must be a payment method id such as pm_01J…')
      .optional(),
    idempotencyKey: z.string().min(1).max(255, 'must be at most 255 characters').optional(),
    captureMethod: captureMethod
      .optional()
      .describe(
        '`manual`: when due the payment is only authorized (`requires_capture`) until captured, or voided when the capture window ends',
      ),
  })
  .strict();
export type CreatePaymentRequest = z.output<typeof createPaymentInput>;

export const paymentView = z.object({
  id: z.string(),
  reference: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  status: paymentStatus,
  delaySeconds: z.number().int(),
  scheduledAt: z.string(),
  webhookUrl: z.string().nullable(),
  webhookStatus: webhookDeliveryStatus.nullable(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.string()),
  description: z.string().nullable(),
  paymentMethodId: z.string().nullable(),
  workflowRunId: z.string().nullable(),
  failureReason: z.string().nullable(),
  compensated: z.boolean(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().nullable(),
  captureMethod: captureMethod,
  capturedAmount: z.number().int().nullable().describe('What was captured; null until then'),
  captureBefore: z.string().nullable().describe('Manual capture: the authorization is voided at this time unless captured'),
  amountRefunded: z.number().int().describe('Minor units returned by succeeded refunds'),
  connector: z.enum(CONNECTOR_KINDS).nullable().describe('The kind of connector that authorized the payment; null until then'),
  connectorAccountId: z
    .string()
    .nullable()
    .describe("The merchant's connector account that authorized it; null for the built-in simulator (or until then)"),
});
export type PaymentView = z.infer<typeof paymentView>;

export const paymentAttemptView = z.object({
  id: z.number().int(),
  step: z.enum(CONNECTOR_STEPS),
  routeAttempt: z.number().int().describe('1 for the first connector of the route, 2 after one failover, …'),
  connector: z.enum(CONNECTOR_KINDS),
  connectorAccountId: z.string().nullable().describe('null: the built-in simulator'),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type PaymentAttemptView = z.infer<typeof paymentAttemptView>;

export const paymentEventView = z.object({
  version: z.number().int(),
  type: paymentEventType,
  status: paymentStatus,
  occurredAt: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type PaymentEventView = z.infer<typeof paymentEventView>;
