import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, count, eq } from 'drizzle-orm';
import { capturedAmountOf, type RefundablePayment, type RefundState } from '../../common/refund-api.js';
import { isTerminal } from '../../common/vocabulary.js';
import { paymentWorkflowId, type PaymentSnapshot, type ProjectionEvent, type WebhookMessageRef } from '../../common/workflow-api.js';
import { deterministicDatabaseError } from '../../db/errors.js';
import { projectRefundState } from '../../db/refund-projection.js';
import { payments, refunds, webhookMessages } from '../../db/schema.js';
import { BUILT_IN_SIMULATOR, type RouteStep } from '../../common/connector-route.js';
import { idempotencyKey } from '../connectors/connector.js';
import { simulatorAuthorizationId } from '../connectors/simulator.js';
import { connectorCaller, type ConnectorCallDependencies } from './connector-calls.js';

/** Failure type while the payment's own workflow still writes or delivers: retried until it is done. */
export const PAYMENT_SETTLING_ERROR = 'PaymentSettling';

type PaymentRow = typeof payments.$inferSelect;

/** The read model's row as the snapshot the workflow projects from (the inverse of `paymentRow`). */
export function snapshotOfRow(row: PaymentRow): PaymentSnapshot {
  const ms = (d: Date | null) => (d === null ? null : d.getTime());
  return {
    paymentId: row.id,
    merchantId: row.merchantId,
    paymentMethodId: row.paymentMethodId,
    reference: row.reference,
    amount: row.amount,
    currency: row.currency,
    delaySeconds: row.delaySeconds,
    webhookUrl: row.webhookUrl,
    data: row.data,
    metadata: row.metadata,
    description: row.description,
    createdAt: row.createdAt.getTime(),
    status: row.status,
    version: row.version,
    scheduledAt: row.scheduledAt.getTime(),
    workflowRunId: row.workflowRunId,
    failureReason: row.failureReason,
    compensated: row.compensated,
    webhookStatus: row.webhookStatus,
    updatedAt: row.updatedAt.getTime(),
    completedAt: ms(row.completedAt),
    amountRefunded: row.amountRefunded,
    // Refund webhooks and feed entries show the payment as it is, manual capture included.
    ...(row.captureMethod === 'manual' ? { captureMethod: 'manual' as const } : {}),
    capturedAmount: row.capturedAmount,
    captureBefore: ms(row.captureBefore),
    ...(row.connector === null || row.processorReference === null
      ? {}
      : { connector: { accountId: row.connectorAccountId, kind: row.connector, authorizationId: row.processorReference } }),
  };
}

/** Whether the payment's own workflow still runs (and so will still write and deliver). */
async function paymentWorkflowRunning(paymentId: string): Promise<boolean> {
  try {
    const { status } = await Context.current().client.workflow.getHandle(paymentWorkflowId(paymentId)).describe();
    return status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    // Temporal unreachable: keep waiting (the activity is retried), never guess.
    throw err;
  }
}

/** Activities of the refunds workflow, from the same dependencies as the payment's. */
export function createRefundActivities(deps: ConnectorCallDependencies) {
  const { db } = deps;
  const call = connectorCaller(deps);
  return {
    /**
     * Lists an accepted refund at once, `pending`, before its turn comes (which may wait for the
     * payment's own webhooks, or for the refunds before it). Never overwrites: its steps do that.
     */
    async recordAcceptedRefund(refund: RefundState, merchantId: string): Promise<void> {
      await db
        .insert(refunds)
        .values({
          id: refund.refundId,
          paymentId: refund.paymentId,
          merchantId,
          amount: refund.amount,
          currency: refund.currency,
          reason: refund.reason,
          status: 'pending',
          failureReason: null,
          createdAt: new Date(refund.createdAt),
          updatedAt: new Date(refund.updatedAt),
        })
        .onConflictDoNothing({ target: refunds.id });
    },

    /**
     * The payment as its refunds start from, once its own workflow is done with it: its final state
     * written, its own webhook's outcome recorded, no message of it still being delivered. Until then
     * this throws a retryable failure, so refund events come after the payment's in version and in every
     * receiver's lane. Null when there is no such payment.
     */
    async loadRefundablePayment(paymentId: string): Promise<RefundablePayment | null> {
      const [row] = await db.select().from(payments).where(eq(payments.id, paymentId)).limit(1);
      if (!row) return null;
      const [inFlight] = await db
        .select({ n: count() })
        .from(webhookMessages)
        .where(and(eq(webhookMessages.paymentId, paymentId), eq(webhookMessages.status, 'pending')));
      const pending = inFlight?.n ?? 0;
      // Says which wait holds: "still completed" read as nonsense in the retry's failure.
      const waiting = !isTerminal(row.status)
        ? `is still ${row.status}`
        : row.webhookStatus === 'pending'
          ? 'is still delivering its webhookUrl notification'
          : pending > 0
            ? `still has ${pending} webhook message(s) being delivered`
            : undefined;
      // Only a running payment workflow ever finishes what it started: one terminated by an operator
      // leaves its messages pending for ever, and refunds waiting on it would never run.
      if (waiting && (await paymentWorkflowRunning(paymentId)))
        throw ApplicationFailure.retryable(`payment ${paymentId} ${waiting}; refunds wait for it`, PAYMENT_SETTLING_ERROR);
      return { snapshot: snapshotOfRow(row), capturedAmount: capturedAmountOf(row), amountRefunded: row.amountRefunded };
    },

    /** Writes one step of a refund with the payment's new state; returns the webhook messages to deliver. */
    async projectRefund(snapshot: PaymentSnapshot, refund: RefundState, event: ProjectionEvent): Promise<WebhookMessageRef[]> {
      try {
        const { messages } = await projectRefundState(db, snapshot, refund, event);
        Context.current().log.info('refund projected', {
          paymentId: snapshot.paymentId,
          refundId: refund.refundId,
          status: refund.status,
          version: snapshot.version,
          event: event.type,
        });
        return messages;
      } catch (err) {
        const refused = deterministicDatabaseError(err);
        // The API validated everything stored here, so this is a bug: loud, and not retried for ever.
        if (refused) throw ApplicationFailure.nonRetryable(`the read model refused the refund (${refused.code}: ${refused.message})`);
        throw err;
      }
    },

    /**
     * Refunds through the connector that authorized the payment (the built-in simulator for payments
     * from before routing). A refusal is final (non-retryable); any other error is retried by the
     * workflow's policy, with the same idempotency key.
     */
    async refundPayment(request: {
      paymentId: string;
      refundId: string;
      amount: number;
      currency: string;
      scenario?: string;
    }): Promise<void> {
      const { paymentId, refundId } = request;
      const [row] = await db
        .select({ accountId: payments.connectorAccountId, kind: payments.connector, reference: payments.processorReference })
        .from(payments)
        .where(eq(payments.id, paymentId))
        .limit(1);
      const ref = row?.kind ? { accountId: row.accountId, kind: row.kind } : BUILT_IN_SIMULATOR;
      // Refunds never fail over: the money is where it was captured.
      const route: RouteStep = { ...ref, routeAttempt: 1, failover: false };
      const authorizationId = row?.reference ?? simulatorAuthorizationId(paymentId, idempotencyKey(paymentId, 'authorize', 1));
      await call({ step: 'refund', keyStep: `refund:${refundId}`, paymentId, route }, (connector, key) =>
        connector.refund({ ...request, authorizationId, idempotencyKey: key }),
      );
    },
  };
}
