import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { createPaymentInput, paymentData, paymentId, webhookUrl, type PaymentStatus, type PaymentView } from '../../common/payment.js';
import { DEFAULT_DELAY_SECONDS, MAX_DELAY_SECONDS } from '../../common/payment-rules.js';
import { isTerminal } from '../../common/vocabulary.js';
import type { Database } from '../../db/client.js';
import { webhookAttempts, webhookMessages } from '../../db/schema.js';
import { cancelPayment, createPayment } from '../payment-commands.js';
import { getPaymentOrThrow, listPayments, toPaymentView } from '../payment-store.js';
import { merchantProcedure, rest, router, TRPCError } from '../trpc.js';

/**
 * The earlier Go system's REST contract, verbatim, so its scripts keep working:
 * `POST /payment`, `GET /payment/{id}`, `POST /payment/{id}/cancel`, `GET /payments`.
 * Its `data` was arbitrary: it is stored as given, and amount and currency are read from it only
 * when they are valid, else the defaults apply. Its webhook_url heard only of processed payments.
 */
export const LEGACY_DEFAULT_AMOUNT = 100;
export const LEGACY_DEFAULT_CURRENCY = 'USD';

/** Temporal's names for a workflow's state, which the Go contract showed as the payment's status. */
const LEGACY_STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut'] as const;
const TEMPORAL_STATUS: Record<PaymentStatus, (typeof LEGACY_STATUSES)[number]> = {
  pending: 'Running',
  processing: 'Running',
  requires_capture: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  // The charge completed; a later refund is not the workflow's state.
  partially_refunded: 'Completed',
  refunded: 'Completed',
};

const legacyPayment = z.object({
  id: z.string(),
  status: z.enum(LEGACY_STATUSES),
  run_id: z.string().nullable(),
  result: z
    .string()
    .nullable()
    .describe('null while running; then the workflow result as a JSON string: {"id", "webhook_sent", "webhook_response"}'),
});
type LegacyPayment = z.infer<typeof legacyPayment>;

function toLegacy(p: PaymentView, webhookResponse: string | undefined): LegacyPayment {
  // The Go system's workflow ended after its webhook call: until the own webhook's outcome is known it runs.
  const running = !isTerminal(p.status) || p.webhookStatus === 'pending';
  return {
    id: p.id,
    status: running ? 'Running' : TEMPORAL_STATUS[p.status],
    run_id: p.workflowRunId,
    result: running
      ? null
      : JSON.stringify({ id: p.id, webhook_sent: p.webhookStatus === 'delivered', webhook_response: webhookResponse ?? '' }),
  };
}

/** What each payment's own webhook_url answered last (its body excerpt, else the error), in one query. */
async function ownWebhookResponses(db: Database, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db
    .selectDistinctOn([webhookMessages.paymentId], {
      paymentId: webhookMessages.paymentId,
      excerpt: webhookAttempts.responseExcerpt,
      error: webhookAttempts.error,
    })
    .from(webhookMessages)
    .innerJoin(webhookAttempts, eq(webhookAttempts.messageId, webhookMessages.id))
    .where(and(inArray(webhookMessages.paymentId, ids), isNull(webhookMessages.endpointId)))
    .orderBy(webhookMessages.paymentId, desc(webhookAttempts.id));
  return new Map(rows.map((r) => [r.paymentId!, r.excerpt ?? r.error ?? '']));
}

async function withResults(db: Database, views: PaymentView[]): Promise<LegacyPayment[]> {
  const finished = views.filter((p) => p.webhookUrl && p.webhookStatus && p.webhookStatus !== 'pending').map((p) => p.id);
  const responses = await ownWebhookResponses(db, finished);
  return views.map((p) => toLegacy(p, responses.get(p.id)));
}

/** The Go system's ids were UUIDs: any id that is not one of ours is simply not found. */
const legacyId = z.string().max(200, 'must be at most 200 characters');
async function findLegacy(ctx: { db: Database; merchantId: string }, id: string): Promise<PaymentView> {
  if (!paymentId.safeParse(id).success) throw new TRPCError({ code: 'NOT_FOUND', message: `no payment with id ${id}` });
  return toPaymentView(await getPaymentOrThrow(ctx.db, ctx.merchantId, id));
}

const meta = (method: 'GET' | 'POST', path: `/${string}`, summary: string) =>
  rest(method, path, summary, { tag: 'legacy (Go system contract)' });

export const legacyRouter = router({
  create: merchantProcedure
    .meta(meta('POST', '/payment', 'Create a payment (Go system contract)'))
    // As Go's encoding/json read it, null or "" means not given. Unknown fields, which it ignored,
    // are refused here so that a misspelt `webhook_url` is a 400 rather than a silent no-webhook.
    .input(
      z
        .object({
          webhook_url: z.union([webhookUrl, z.literal('')]).nullish(),
          sleep: z
            .number()
            .int('must be a whole number of seconds')
            .min(0, 'must be 0 or more')
            .max(MAX_DELAY_SECONDS, `must be at most ${MAX_DELAY_SECONDS} (30 days)`)
            .nullish(),
          data: paymentData.nullish(),
        })
        .strict(),
    )
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const { amount, currency } = createPaymentInput.shape;
      const data = input.data ?? {};
      const parsedAmount = amount.safeParse(data.amount);
      const parsedCurrency = currency.safeParse(data.currency);
      const payment = await createPayment(
        ctx,
        createPaymentInput.parse({
          amount: parsedAmount.success ? parsedAmount.data : LEGACY_DEFAULT_AMOUNT,
          currency: parsedCurrency.success ? parsedCurrency.data : LEGACY_DEFAULT_CURRENCY,
          delaySeconds: input.sleep ?? DEFAULT_DELAY_SECONDS,
          webhookUrl: input.webhook_url || undefined,
          data,
        }),
        { notifyOwnWebhook: 'processed', webhookUrlField: 'webhook_url' },
      );
      return { id: payment.id };
    }),

  get: merchantProcedure
    .meta(meta('GET', '/payment/{id}', 'Get a payment (Go system contract)'))
    .input(z.object({ id: legacyId }))
    .output(legacyPayment)
    .query(async ({ ctx, input }) => (await withResults(ctx.db, [await findLegacy(ctx, input.id)]))[0]!),

  cancel: merchantProcedure
    .meta(meta('POST', '/payment/{id}/cancel', 'Cancel a payment (Go system contract)'))
    .input(z.object({ id: legacyId }))
    .output(legacyPayment)
    .mutation(async ({ ctx, input }) => {
      await findLegacy(ctx, input.id);
      return (await withResults(ctx.db, [await cancelPayment(ctx, input.id)]))[0]!;
    }),

  list: merchantProcedure
    .meta(meta('GET', '/payments', 'List payments, newest first (Go system contract)'))
    .input(
      z
        .object({ limit: z.number().int().min(1).max(100, 'must be at most 100').default(100) })
        .strict()
        .prefault({}),
    )
    .output(z.array(legacyPayment))
    .query(async ({ ctx, input }) => withResults(ctx.db, (await listPayments(ctx.db, ctx.merchantId, { limit: input.limit })).items)),
});
