import { desc, eq } from 'drizzle-orm';
import { ulid } from '../../common/ulid.js';
import { z } from 'zod';
import { paymentMethodType } from '../../common/payment.js';
import { freeText } from '../../common/text-rules.js';
import { paymentMethods } from '../../db/schema.js';
import { merchantProcedure, rest, router } from '../trpc.js';

/**
 * Stored payment methods: what identifies a method to a person (brand, last four digits, a label),
 * never the card number or security code. `.strict()` refuses any such field outright.
 */
const createInput = z
  .object({
    type: paymentMethodType,
    brand: freeText(40, 1).optional(),
    last4: z
      .string()
      .regex(/^\d{4}$/, 'must be the last four digits')
      .optional(),
    label: freeText(100, 1).optional(),
  })
  .strict();

const methodView = z.object({
  id: z.string(),
  type: paymentMethodType,
  brand: z.string().nullable(),
  last4: z.string().nullable(),
  label: z.string().nullable(),
  createdAt: z.string(),
});

const toView = (m: typeof paymentMethods.$inferSelect): z.infer<typeof methodView> => ({
  id: m.id,
  type: m.type,
  brand: m.brand,
  last4: m.last4,
  label: m.label,
  createdAt: m.createdAt.toISOString(),
});

export const paymentMethodsRouter = router({
  create: merchantProcedure
    .meta(rest('POST', '/api/v1/payment-methods', 'Store a payment method', { tag: 'payment methods', successStatus: 201 }))
    .input(createInput)
    .output(methodView)
    .mutation(async ({ ctx, input }) => {
      const [row] = await ctx.db
        .insert(paymentMethods)
        .values({ id: `pm_${ulid()}`, merchantId: ctx.merchantId, ...input })
        .returning();
      return toView(row!);
    }),

  list: merchantProcedure
    .meta(rest('GET', '/api/v1/payment-methods', 'List stored payment methods', { tag: 'payment methods' }))
    .output(z.array(methodView))
    .query(async ({ ctx }) => {
      const rows = await ctx.db
        .select()
        .from(paymentMethods)
        .where(eq(paymentMethods.merchantId, ctx.merchantId))
        .orderBy(desc(paymentMethods.id))
        .limit(100);
      return rows.map(toView);
    }),
});
