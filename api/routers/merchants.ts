import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { merchants } from '../../db/schema.js';
import { merchantProcedure, rest, router, TRPCError } from '../trpc.js';

const merchantView = z.object({ id: z.string(), name: z.string() });

export const merchantsRouter = router({
  /** Who the API key (or the embedded demo fallback) acts for: what a dashboard header names. Never the webhook secret. */
  me: merchantProcedure
    .meta(rest('GET', '/api/v1/me', 'The merchant this key acts for', { tag: 'merchants' }))
    .output(merchantView)
    .query(async ({ ctx }) => {
      const [row] = await ctx.db
        .select({ id: merchants.id, name: merchants.name })
        .from(merchants)
        .where(eq(merchants.id, ctx.merchantId))
        .limit(1);
      // A key resolved to this id a moment ago; only a deleted merchant row gets here.
      if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'the merchant this key names no longer exists' });
      return row;
    }),
});
