import { z } from 'zod';
import { createPaymentInput, paymentEventView, paymentId, paymentStatus, paymentView } from '../../common/payment.js';
import { dateTime, freeText } from '../../common/text-rules.js';
import { capturePayment } from '../capture-commands.js';
import { cancelPayment, createPayment, processPaymentNow } from '../payment-commands.js';
import { AMENDABLE_FIELDS, amendPaymentInput } from '../../common/amend-payment-input.js';
import { amendPayment } from '../amend-commands.js';
import { changesOf } from '../payment-change-stream.js';
import { LIST_CURSOR, PAYMENT_SORTS } from '../payment-list-query.js';
import {
  COUNT_CAP,
  getPaymentOrThrow,
  listPaymentEvents,
  listPayments,
  paymentStats,
  paymentsPerMinute,
  toPaymentView,
} from '../payment-store.js';
import { merchantProcedure, rest, router } from '../trpc.js';
import { attemptProcedures } from './attempts.js';
import { refundProcedures } from './refunds.js';

export const MAX_PAGE_SIZE = 100;
const V1 = '/api/v1';

const byId = z.object({ id: paymentId }).strict();

/** A `nextCursor` or `prevCursor`, or simply a payment id ("after this payment" in any order). */
const listCursor = z.string().max(80).regex(LIST_CURSOR, 'must be a payment id or a cursor this list gave out');

/**
 * Search text, trimmed; blank text (spaces, a lone CR) filters nothing, as an empty search box does.
 * Refusing it would reject input the published schema allows (schemathesis found `search=%0D`).
 */
const searchText = (max: number, description: string) =>
  z
    .string()
    .max(max)
    .describe(description)
    .transform((text) => text.trim() || undefined);

export const listPaymentsInput = z
  .object({
    status: paymentStatus.optional(),
    search: searchText(64, 'A payment id, or a reference or its beginning').optional(),
    createdFrom: dateTime.optional(),
    createdTo: dateTime.optional(),
    metadata: z
      .record(z.string().max(40), z.string().max(500))
      .optional()
      .describe('Payments whose metadata holds every given pair: `metadata[orderId]=A-17`'),
    q: searchText(
      100,
      'The beginning of a payment id (any case, `pay_` optional), or a piece of the reference or description (any case)',
    ).optional(),
    sort: z.enum(PAYMENT_SORTS).optional().describe('Order by this field, the id breaking ties; without it, by id (creation order)'),
    direction: z.enum(['asc', 'desc']).default('desc'),
    cursor: listCursor.optional().describe('The page after this: a `nextCursor` (a payment id when no `sort` is given)'),
    before: listCursor.optional().describe('The page before this: a `prevCursor` (wins over `cursor` when both are given)'),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`).default(50),
  })
  .strict()
  // No input at all lists the newest page.
  .prefault({});

export const paymentsRouter = router({
  create: merchantProcedure
    .meta(
      rest('POST', `${V1}/payments`, 'Create a payment', {
        description: 'Starts its workflow; the payment waits `delaySeconds` before it is charged.',
        successStatus: 201,
      }),
    )
    .input(createPaymentInput)
    .output(paymentView)
    .mutation(({ ctx, input }) => createPayment(ctx, input)),

  get: merchantProcedure
    .meta(rest('GET', `${V1}/payments/{id}`, 'Get a payment'))
    .input(byId)
    .output(paymentView)
    .query(async ({ ctx, input }) => toPaymentView(await getPaymentOrThrow(ctx.db, ctx.merchantId, input.id))),

  list: merchantProcedure
    .meta(
      rest('GET', `${V1}/payments`, 'List payments', {
        description:
          'Newest first unless `sort`/`direction` say otherwise; pass `nextCursor` back as `cursor` for the next page, `prevCursor` as `before` for the one before. `total` counts every match of the filters up to ' +
          `${COUNT_CAP}; past that it is a lower bound and \`totalExact\` is false.`,
      }),
    )
    .input(listPaymentsInput)
    .output(
      z.object({
        items: z.array(paymentView),
        nextCursor: z.string().nullable(),
        prevCursor: z.string().nullable(),
        total: z.number().int().describe('Payments matching the filters (cursor aside)'),
        totalExact: z.boolean().describe(`false when there are more than ${COUNT_CAP}: then \`total\` is a lower bound`),
      }),
    )
    .query(async ({ ctx, input }) => {
      const page = await listPayments(ctx.db, ctx.merchantId, input, { count: true });
      return { ...page, total: page.total ?? 0, totalExact: page.totalExact ?? true };
    }),

  cancel: merchantProcedure
    .meta(
      rest('POST', `${V1}/payments/{id}/cancel`, 'Cancel a pending payment', {
        description: 'Answers 409 once processing began. A payment awaiting capture can be canceled too: its authorization is voided.',
      }),
    )
    .input(byId.extend({ reason: freeText(500).optional() }))
    .output(paymentView)
    .mutation(({ ctx, input }) => cancelPayment(ctx, input.id, input.reason)),

  processNow: merchantProcedure
    .meta(rest('POST', `${V1}/payments/{id}/process-now`, 'Process a pending payment now', { description: 'Skips the rest of its delay.' }))
    .input(byId)
    .output(paymentView)
    .mutation(({ ctx, input }) => processPaymentNow(ctx, input.id)),

  capture: merchantProcedure
    .meta(
      rest('POST', `${V1}/payments/{id}/capture`, 'Capture a payment awaiting capture', {
        description:
          'Takes `amount` of the authorization (at most the authorized amount; all of it when absent); the rest is released. Answers 409 unless the payment is `requires_capture`.',
      }),
    )
    .input(
      byId.extend({
        amount: z
          .number({ error: 'must be an integer number of minor units (cents)' })
          .int('must be an integer number of minor units (cents)')
          .positive('must be greater than 0')
          .optional()
          .describe('Minor units to capture; absent: the whole authorized amount'),
      }),
    )
    .output(paymentView)
    .mutation(({ ctx, input }) => capturePayment(ctx, input.id, input.amount)),
  amend: merchantProcedure
    .meta(
      rest('PATCH', `${V1}/payments/{id}`, 'Amend a pending payment', {
        description:
          'Changes amount, currency, delay (counted from creation), webhook URL, description or metadata while the payment is pending; the new schedule applies at once and the change is a `payment.amended` event. Answers 409 once processing began, and for a payment created through the Go-compatible door.',
        bodyRequiresOneOf: AMENDABLE_FIELDS,
      }),
    )
    .input(amendPaymentInput)
    .output(paymentView)
    .mutation(({ ctx, input }) => amendPayment(ctx, input)),

  events: merchantProcedure
    .meta(rest('GET', `${V1}/payments/{id}/events`, "A payment's timeline"))
    .input(byId)
    .output(z.array(paymentEventView))
    .query(({ ctx, input }) => listPaymentEvents(ctx.db, ctx.merchantId, input.id)),

  stats: merchantProcedure
    .meta(rest('GET', `${V1}/stats`, 'Counts by status'))
    .output(
      z.object({
        total: z.number().int(),
        byStatus: z.record(paymentStatus, z.number().int()),
        overdue: z.number().int().describe('Pending payments more than 30 s past their scheduled time'),
      }),
    )
    .query(({ ctx }) => paymentStats(ctx.db, ctx.merchantId)),

  perMinute: merchantProcedure
    .meta(rest('GET', `${V1}/stats/per-minute`, 'Payments created per minute over the last hour'))
    .output(z.array(z.object({ minute: z.string(), count: z.number().int() })))
    .query(({ ctx }) => paymentsPerMinute(ctx.db, ctx.merchantId)),

  /** Live: the id and version of every change to the merchant's payments (SSE). */
  onChange: merchantProcedure.subscription(async function* ({ ctx, signal }) {
    yield* changesOf(ctx.changes, ctx.merchantId, signal);
  }),

  ...refundProcedures,
  ...attemptProcedures,
});
