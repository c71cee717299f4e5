import { createHash } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import { webhookIdempotencyKeys } from '../db/schema.js';
import { IDEMPOTENCY_TTL_MS } from './payment-commands.js';
import { TRPCError, type MerchantContext } from './trpc.js';

/**
 * Runs a webhook command once per Idempotency-Key (the input's `idempotencyKey`, else the REST
 * header), for 24 h like payments. The first answer is stored and a retry gets it again (the same
 * new secret, the same message id); a retry while the first still runs, or the key reused for
 * another action or body, is refused with CONFLICT. A failed command frees its key.
 * The body is hashed as the router's zod output gives it: the same fields in the same order.
 */
export async function idempotent<T>(
  ctx: MerchantContext,
  action: string,
  input: { idempotencyKey?: string } & object,
  run: () => Promise<T>,
): Promise<T> {
  const { idempotencyKey: inputKey, ...body } = input;
  const key = inputKey ?? ctx.idempotencyKey;
  if (key === undefined) return run();
  if (key.length > 255) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Idempotency-Key: must be at most 255 characters' });
  const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const now = new Date();
  const mine = and(eq(webhookIdempotencyKeys.merchantId, ctx.merchantId), eq(webhookIdempotencyKeys.key, key));
  await ctx.db.delete(webhookIdempotencyKeys).where(and(mine, lt(webhookIdempotencyKeys.expiresAt, now)));
  const claimed = await ctx.db
    .insert(webhookIdempotencyKeys)
    .values({ merchantId: ctx.merchantId, key, action, requestHash, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) })
    .onConflictDoNothing()
    .returning({ key: webhookIdempotencyKeys.key });
  if (claimed.length === 0) {
    const [held] = await ctx.db.select().from(webhookIdempotencyKeys).where(mine);
    if (!held || held.action !== action || held.requestHash !== requestHash) {
      throw new TRPCError({
        code: 'CONFLICT',
        message: `Idempotency-Key "${key}" was already used for another request; use a new key for a new request`,
      });
    }
    if (held.response === null) {
      throw new TRPCError({ code: 'CONFLICT', message: `the request with Idempotency-Key "${key}" is still running; retry in a moment` });
    }
    return held.response as T;
  }
  try {
    const answer = await run();
    await ctx.db
      .update(webhookIdempotencyKeys)
      .set({ response: answer ?? null })
      .where(mine);
    return answer;
  } catch (error) {
    await ctx.db.delete(webhookIdempotencyKeys).where(mine);
    throw error;
  }
}
