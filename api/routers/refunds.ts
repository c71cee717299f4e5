import { z } from 'zod';
import { paymentId } from '../../common/payment.js';
import { refundFields, refundView } from '../../common/refund.js';
import { createRefund, listRefunds } from '../refund-commands.js';
import { merchantProcedure, rest } from '../trpc.js';

const V1 = '/api/v1';
const byPayment = z.object({ id: paymentId }).strict();

/** A payment's refunds: `payments.refund` and `payments.refunds` (spread into the payments router). */
export const refundProcedures = {
  refund: merchantProcedure
    .meta(
      rest('POST', `${V1}/payments/{id}/refunds`, 'Refund a payment', {
        description:
          'All that is left, or `amount`, of a completed or partially refunded payment; several refunds may follow ' +
          'until the captured amount is used up. Answers once the outcome is known (`succeeded` or `failed`), or ' +
          'after a few seconds with the refund still `pending`. 409 for a payment that cannot be refunded or an ' +
          'amount above what is left.',
        successStatus: 201,
      }),
    )
    .input(byPayment.extend(refundFields))
    .output(refundView)
    .mutation(({ ctx, input }) => createRefund(ctx, input)),

  refunds: merchantProcedure
    .meta(rest('GET', `${V1}/payments/{id}/refunds`, "A payment's refunds", { description: 'Oldest first.' }))
    .input(byPayment)
    .output(z.array(refundView))
    .query(({ ctx, input }) => listRefunds(ctx, input.id)),
};
