import { z } from 'zod';
import { createPaymentInput, paymentData, paymentId, webhookUrl, type PaymentStatus, type PaymentView } from '../../common/payment.js';
import { DEFAULT_DELAY_SECONDS, MAX_DELAY_SECONDS } from '../../common/payment-rules.js';
import { cancelPayment, createPayment } from '../payment-commands.js';
import { getPaymentOrThrow, listPayments, toPaymentView } from '../payment-store.js';
import { merchantProcedure, rest, router, TRPCError } from '../trpc.js';

/**
 * The earlier Go system's REST contract, verbatim, so its scripts keep working:
 * `POST /payment`, `GET /payment/{id}`, `POST /payment/{id}/cancel`, `GET /payments`.
 * It had no amount or currency; they come from `data.amount` / `data.currency` when present.
 */
export const LEGACY_DEFAULT_AMOUNT = 100;
export const LEGACY_DEFAULT_CURRENCY = 'USD';

const TEMPORAL_STATUS: Record<PaymentStatus, string> = {
  pending: 'Running',
  processing: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
};

const legacyPayment = z.object({
  id: z.string(),
  status: z.enum(['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut']),
  run_id: z.string().nullable(),
  result: z
    .object({
      status: z.string(),
      failure_reason: z.string().nullable(),
      compensated: z.boolean(),
      webhook_status: z.string().nullable(),
    })
    .nullable()
    .describe('The workflow result once it ended; null while running'),
});

function toLegacy(p: PaymentView): z.infer<typeof legacyPayment> {
  const running = p.status === 'pending' || p.status === 'processing';
  return {
    id: p.id,
    status: TEMPORAL_STATUS[p.status] as z.infer<typeof legacyPayment>['status'],
    run_id: p.workflowRunId,
    result: running
      ? null
      : { status: p.status, failure_reason: p.failureReason, compensated: p.compensated, webhook_status: p.webhookStatus },
  };
}

const meta = (method: 'GET' | 'POST', path: `/${string}`, summary: string) => rest(method, path, summary, { tag: 'legacy (Go system contract)' });

export const legacyRouter = router({
  create: merchantProcedure
    .meta(meta('POST', '/payment', 'Create a payment (Go system contract)'))
    .input(
      z
        .object({
          webhook_url: webhookUrl.optional(),
          sleep: z.number().int().min(0).max(MAX_DELAY_SECONDS).default(DEFAULT_DELAY_SECONDS),
          data: paymentData.default({}),
        })
        .strict(),
    )
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const amount = input.data.amount ?? LEGACY_DEFAULT_AMOUNT;
      const currency = input.data.currency ?? LEGACY_DEFAULT_CURRENCY;
      // Same validation as every other door, so `data.amount: -1` is a 400 naming the field.
      const parsed = createPaymentInput.safeParse({ amount, currency, delaySeconds: input.sleep, webhookUrl: input.webhook_url, data: input.data });
      if (!parsed.success) throw legacyFieldError(parsed.error);
      const payment = await createPayment(ctx, parsed.data);
      return { id: payment.id };
    }),

  get: merchantProcedure
    .meta(meta('GET', '/payment/{id}', 'Get a payment (Go system contract)'))
    .input(z.object({ id: paymentId }))
    .output(legacyPayment)
    .query(async ({ ctx, input }) => toLegacy(toPaymentView(await getPaymentOrThrow(ctx.db, ctx.merchantId, input.id)))),

  cancel: merchantProcedure
    .meta(meta('POST', '/payment/{id}/cancel', 'Cancel a payment (Go system contract)'))
    .input(z.object({ id: paymentId }))
    .output(legacyPayment)
    .mutation(async ({ ctx, input }) => toLegacy(await cancelPayment(ctx, input.id))),

  list: merchantProcedure
    .meta(meta('GET', '/payments', 'List payments, newest first (Go system contract)'))
    .input(z.object({ limit: z.number().int().min(1).max(100).default(100) }).strict().prefault({}))
    .output(z.array(legacyPayment))
    .query(async ({ ctx, input }) => (await listPayments(ctx.db, ctx.merchantId, { limit: input.limit })).items.map(toLegacy)),
});

const LEGACY_FIELD: Record<string, string[]> = {
  amount: ['data', 'amount'],
  currency: ['data', 'currency'],
  delaySeconds: ['sleep'],
  webhookUrl: ['webhook_url'],
};

/** Names the field as the client sent it (`data.amount`, not the internal `amount`). */
function legacyFieldError(error: z.ZodError): TRPCError {
  for (const issue of error.issues) {
    const [head, ...rest] = issue.path;
    (issue as { path: PropertyKey[] }).path = [...(LEGACY_FIELD[String(head)] ?? [head as PropertyKey]), ...rest];
  }
  return new TRPCError({ code: 'BAD_REQUEST', cause: error });
}
