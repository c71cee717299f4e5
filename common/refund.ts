import { z } from 'zod';
import './zod-messages.js';
import { MAX_AMOUNT } from './payment-rules.js';
import { freeText } from './text-rules.js';
import { REFUND_STATUSES } from './vocabulary.js';

export const refundStatus = z.enum(REFUND_STATUSES);

/** What a refund request may carry beside the payment id (path) — for `.input()` on every door. */
export const refundFields = {
  amount: z
    .number({ error: 'must be an integer number of minor units (cents)' })
    .int('must be an integer number of minor units (cents)')
    .positive('must be greater than 0')
    .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`)
    .optional()
    .describe('Minor units to return; without it, everything captured and not refunded yet'),
  reason: freeText(500, 1).optional().describe('Why, in the merchant’s words (shown in the dashboard and sent in webhooks)'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(255, 'must be at most 255 characters')
    .optional()
    .describe('The same key on the same payment returns the first refund instead of refunding again (or the Idempotency-Key header)'),
};

export const refundView = z.object({
  id: z.string(),
  paymentId: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  reason: z.string().nullable(),
  status: refundStatus,
  failureReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type RefundView = z.infer<typeof refundView>;
