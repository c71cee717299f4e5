import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import type { PaymentView } from '../common/payment.js';
import { INVALID_CAPTURE_AMOUNT_ERROR, captureUpdate } from '../common/workflow-api.js';
import { sendUpdate } from './payment-commands.js';
import { getPaymentOrThrow, toPaymentView } from './payment-store.js';
import { TRPCError, type MerchantContext } from './trpc.js';

/**
 * Manual capture: takes all (no amount) or part of a payment's authorization. Checked against the
 * read model first for a quick clear answer; the workflow's validator decides for good (a payment
 * whose window just ended, or that another caller just captured or canceled, is refused there).
 */
export async function capturePayment(ctx: MerchantContext, id: string, amount?: number): Promise<PaymentView> {
  const row = await getPaymentOrThrow(ctx.db, ctx.merchantId, id);
  if (row.status !== 'requires_capture') {
    const why = row.captureMethod === 'automatic' ? ' (it was created with captureMethod automatic)' : '';
    throw new TRPCError({ code: 'CONFLICT', message: `payment is ${row.status}${why}; only a payment awaiting capture can be captured` });
  }
  if (amount !== undefined && amount > row.amount) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: `amount: must be at most the authorized ${row.amount}` });
  }
  try {
    await sendUpdate(ctx, id, 'captured', (handle) => handle.executeUpdate(captureUpdate, { args: [{ amount }] }));
  } catch (err) {
    if (
      err instanceof WorkflowUpdateFailedError &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type === INVALID_CAPTURE_AMOUNT_ERROR
    ) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: `amount: ${err.cause.message.replace(/^amount /, '')}`, cause: err });
    }
    throw err;
  }
  return toPaymentView(await getPaymentOrThrow(ctx.db, ctx.merchantId, id));
}
