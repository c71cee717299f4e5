import { createHash } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { AmendPaymentRequest } from '../common/amend-payment-input.js';
import { AMENDABLE_FIELDS, type PaymentAmendment } from '../common/amendment-rules.js';
import type { PaymentView } from '../common/payment.js';
import { amendUpdate } from '../common/workflow-api.js';
import { idempotencyKeys } from '../db/schema.js';
import { IDEMPOTENCY_TTL_MS, canonicalJson, sendUpdate } from './payment-commands.js';
import { getPaymentOrThrow, toPaymentView } from './payment-store.js';
import { TRPCError, type MerchantContext } from './trpc.js';
import { assertPublicWebhookUrl } from './webhook-commands.js';

/**
 * Amends a pending payment through its workflow's amend update, after the same checks as create
 * (zod rules in the input, the webhook URL's SSRF guard here). With an Idempotency-Key the update id
 * is derived from it, so Temporal answers a retried amendment with the first one's outcome instead
 * of applying it again; the same key with another amendment is a 409.
 */
export async function amendPayment(ctx: MerchantContext, request: AmendPaymentRequest): Promise<PaymentView> {
  const { id, idempotencyKey: inputKey, ...fields } = request;
  const idempotencyKey = inputKey ?? ctx.idempotencyKey;
  if (idempotencyKey !== undefined && idempotencyKey.length > 255) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'Idempotency-Key: must be at most 255 characters' });
  }
  const amendment: PaymentAmendment = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  if (Object.keys(amendment).length === 0) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `input: the amendment is empty; give at least one of ${AMENDABLE_FIELDS.join(', ')}`,
    });
  }
  const row = await getPaymentOrThrow(ctx.db, ctx.merchantId, id);
  if (amendment.webhookUrl) await assertPublicWebhookUrl(ctx, 'webhookUrl', amendment.webhookUrl);
  const retried = idempotencyKey !== undefined && (await claimAmendmentKey(ctx, id, idempotencyKey, amendment));
  // A retry may find the payment moved on; the workflow still has the first attempt's outcome.
  if (row.status !== 'pending' && !retried) {
    throw new TRPCError({ code: 'CONFLICT', message: `payment is ${row.status}; only a pending payment can be amended` });
  }
  const updateId = idempotencyKey === undefined ? undefined : `amend-${createHash('sha256').update(idempotencyKey).digest('hex')}`;
  await sendUpdate(ctx, id, 'amended', (handle) =>
    handle.executeUpdate(amendUpdate, { args: [amendment], ...(updateId ? { updateId } : {}) }),
  );
  return toPaymentView(await getPaymentOrThrow(ctx.db, ctx.merchantId, id));
}

/**
 * Records the key for this payment and amendment; true when it was already recorded with the same
 * amendment (a retry). Keys are scoped per merchant and payment.
 */
async function claimAmendmentKey(ctx: MerchantContext, paymentId: string, key: string, amendment: PaymentAmendment): Promise<boolean> {
  const requestHash = createHash('sha256').update(canonicalJson(amendment)).digest('hex');
  const scope = `${ctx.merchantId}:amend:${paymentId}`;
  const now = new Date();
  await ctx.db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key), lt(idempotencyKeys.expiresAt, now)));
  const [inserted] = await ctx.db
    .insert(idempotencyKeys)
    .values({ scope, key, requestHash, paymentId, createdAt: now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted) return false;
  const [held] = await ctx.db
    .select({ requestHash: idempotencyKeys.requestHash })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  if (held && held.requestHash !== requestHash) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `Idempotency-Key "${key}" was already used with a different amendment of this payment; use a new key for a new amendment`,
    });
  }
  return true;
}
