import { z } from 'zod';
import { AMENDABLE_FIELDS } from './amendment-rules.js';
import { createPaymentInput, paymentId, paymentMetadata, webhookUrl } from './payment.js';
import { freeText } from './text-rules.js';

const create = createPaymentInput.shape;

/** An amendment of a pending payment: the fields of create, by create's rules, each optional. */
export const amendPaymentInput = z
  .object({
    id: paymentId,
    amount: create.amount.optional(),
    currency: create.currency.optional(),
    delaySeconds: create.delaySeconds
      .unwrap()
      .optional()
      .describe('Counted from the creation of the payment, like the delay it replaces: a delay already past processes it at once'),
    webhookUrl: webhookUrl.nullable().optional().describe('`null` removes it'),
    description: freeText(500).nullable().optional().describe('`null` removes it'),
    metadata: paymentMetadata.optional().describe('Replaces the metadata as a whole'),
    idempotencyKey: create.idempotencyKey,
  })
  .strict();
export type AmendPaymentRequest = z.output<typeof amendPaymentInput>;

export { AMENDABLE_FIELDS };
