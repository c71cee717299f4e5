import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { paymentAttemptView, paymentId, type PaymentAttemptView } from '../../common/payment.js';
import { paymentAttempts } from '../../db/schema.js';
import { getPaymentOrThrow } from '../payment-store.js';
import { merchantProcedure, rest } from '../trpc.js';

/** `payments.attempts`: every call the payment's workflow made to a connector (spread into the payments router). */
export const attemptProcedures = {
  attempts: merchantProcedure
    .meta(
      rest('GET', '/api/v1/payments/{id}/attempts', "A payment's connector attempts", {
        description:
          'Every call made to a connector for the payment, oldest first: which connector, which step of which route ' +
          'attempt, how it ended (`succeeded`, `declined`, `unavailable`, `unknown`, `skipped` while its circuit was open) and how long it took.',
      }),
    )
    .input(z.object({ id: paymentId }).strict())
    .output(z.array(paymentAttemptView))
    .query(async ({ ctx, input }): Promise<PaymentAttemptView[]> => {
      await getPaymentOrThrow(ctx.db, ctx.merchantId, input.id);
      const rows = await ctx.db
        .select()
        .from(paymentAttempts)
        .where(eq(paymentAttempts.paymentId, input.id))
        .orderBy(asc(paymentAttempts.id))
        .limit(500);
      return rows.map((row) => ({
        id: row.id,
        step: row.step,
        routeAttempt: row.routeAttempt,
        connector: row.connector,
        connectorAccountId: row.connectorAccountId,
        outcome: row.outcome,
        latencyMs: row.latencyMs,
        error: row.error,
        createdAt: row.createdAt.toISOString(),
      }));
    }),
};
