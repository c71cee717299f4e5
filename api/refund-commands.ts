import { createHash } from 'node:crypto';
import { ApplicationFailure, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { and, asc, eq } from 'drizzle-orm';
import {
  REFUNDABLE_STATUSES,
  REFUNDS_WORKFLOW_TYPE,
  REFUND_REFUSED_ERROR,
  capturedAmountOf,
  refundUpdate,
  refundUpdateId,
  refundsWorkflowId,
  type RefundFacts,
  type RefundRequest,
  type RefundState,
} from '../common/refund-api.js';
import type { RefundView } from '../common/refund.js';
import { ulid } from '../common/ulid.js';
import { refunds } from '../db/schema.js';
import type { refundsWorkflow } from '../worker/workflows/index.js';
import { isDeadlineExceeded, TEMPORAL_DEADLINE_MS } from './payment-commands.js';
import { getPaymentOrThrow } from './payment-store.js';
import { TRPCError, type MerchantContext } from './trpc.js';

export interface RefundInput {
  id: string;
  amount?: number;
  reason?: string;
  idempotencyKey?: string;
}

type RefundRow = typeof refunds.$inferSelect;

/**
 * A refund goes to the payment's refunds workflow (Update-With-Start: the run is started if none is
 * running), whose validator refuses an amount above what is left before anything is written. The
 * refund id, and so the update id, comes from the Idempotency-Key when there is one: a retry is the
 * same update, or finds the refund already written.
 */
export async function createRefund(ctx: MerchantContext, input: RefundInput): Promise<RefundView> {
  const key = input.idempotencyKey ?? ctx.idempotencyKey;
  if (key !== undefined && key.length > 255) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'Idempotency-Key: must be at most 255 characters' });
  }
  const payment = await getPaymentOrThrow(ctx.db, ctx.merchantId, input.id);
  const refundId = key ? refundIdForKey(ctx.merchantId, payment.id, key) : `re_${ulid()}`;
  const reason = input.reason ?? null;
  // The key's first body wins; another body under it is refused, whether the first is written yet or not.
  const refuseOtherBody = (earlier: { amount: number; reason: string | null }) => {
    if ((input.amount !== undefined && input.amount !== earlier.amount) || reason !== earlier.reason) {
      throw new TRPCError({
        code: 'CONFLICT',
        message: `Idempotency-Key "${key}" was already used for another refund of this payment; use a new key for a new refund`,
      });
    }
  };
  if (key) {
    const [earlier] = await ctx.db.select().from(refunds).where(eq(refunds.id, refundId)).limit(1);
    if (earlier) {
      refuseOtherBody(earlier);
      return toRefundView(earlier);
    }
  }
  if (!REFUNDABLE_STATUSES.includes(payment.status)) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `payment is ${payment.status}; only a completed or partially refunded payment can be refunded`,
    });
  }
  // The workflow decides (it also counts refunds in flight); this spares it a request that cannot pass.
  const left = capturedAmountOf(payment) - payment.amountRefunded;
  if (input.amount !== undefined && input.amount > left) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `amount: ${input.amount} is more than the ${left} ${payment.currency} left to refund (captured ${capturedAmountOf(payment)}, refunded ${payment.amountRefunded})`,
    });
  }
  const facts: RefundFacts = {
    status: payment.status,
    currency: payment.currency,
    capturedAmount: capturedAmountOf(payment),
    amountRefunded: payment.amountRefunded,
  };
  const refund = await sendRefund(ctx, payment.id, facts, {
    refundId,
    reason,
    ...(input.amount !== undefined ? { amount: input.amount } : {}),
  });
  // Sent at the same moment as another body under the same key, this request is the same update
  // (its id is the refund id) and Temporal answers it with the first one's refund.
  if (key) refuseOtherBody(refund);
  ctx.log.info({ paymentId: payment.id, refundId, amount: refund.amount, status: refund.status }, 'refund requested');
  return stateView(refund);
}

async function sendRefund(ctx: MerchantContext, paymentId: string, facts: RefundFacts, request: RefundRequest): Promise<RefundState> {
  try {
    return await ctx.temporal.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
      ctx.temporal.workflow.executeUpdateWithStart(refundUpdate, {
        args: [request],
        updateId: refundUpdateId(request.refundId),
        startWorkflowOperation: new WithStartWorkflowOperation<typeof refundsWorkflow>(REFUNDS_WORKFLOW_TYPE, {
          workflowId: refundsWorkflowId(paymentId),
          taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
          // Used only if this starts a run: a running one already knows the payment.
          args: [{ paymentId, merchantId: ctx.merchantId, payment: facts }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === REFUND_REFUSED_ERROR) {
      throw new TRPCError({ code: 'CONFLICT', message: err.cause.message, cause: err });
    }
    if (isDeadlineExceeded(err)) {
      throw new TRPCError({
        code: 'GATEWAY_TIMEOUT',
        message: `the payment's refunds workflow did not answer within ${TEMPORAL_DEADLINE_MS / 1000} s; whether the refund was accepted is unknown: list the payment's refunds, or retry with the same Idempotency-Key`,
        cause: err,
      });
    }
    throw err;
  }
}

export async function listRefunds(ctx: MerchantContext, paymentId: string): Promise<RefundView[]> {
  await getPaymentOrThrow(ctx.db, ctx.merchantId, paymentId);
  const rows = await ctx.db
    .select()
    .from(refunds)
    .where(and(eq(refunds.paymentId, paymentId), eq(refunds.merchantId, ctx.merchantId)))
    .orderBy(asc(refunds.createdAt), asc(refunds.id));
  return rows.map(toRefundView);
}

/** Per merchant and payment: the same key on another payment is another refund. */
function refundIdForKey(merchantId: string, paymentId: string, key: string): string {
  return `re_${createHash('sha256').update(`${merchantId}:${paymentId}:${key}`).digest('base64url').slice(0, 26)}`;
}

function toRefundView(row: RefundRow): RefundView {
  return {
    id: row.id,
    paymentId: row.paymentId,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    status: row.status,
    failureReason: row.failureReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function stateView(refund: RefundState): RefundView {
  return {
    id: refund.refundId,
    paymentId: refund.paymentId,
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
    status: refund.status,
    failureReason: refund.failureReason,
    createdAt: new Date(refund.createdAt).toISOString(),
    updatedAt: new Date(refund.updatedAt).toISOString(),
  };
}
