import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PaymentStatus } from '../../common/payment.js';
import { paymentInputProblem } from '../../common/payment-rules.js';
import {
  NOT_PENDING_ERROR,
  cancelUpdate,
  getStateQuery,
  initialSnapshot,
  processNowUpdate,
  type PaymentSnapshot,
  type PaymentWorkflowInput,
  type PaymentWorkflowResult,
  type PaymentWorkflowState,
  type ProjectionEvent,
} from '../../common/workflow-api.js';
import type { Activities } from '../activities/index.js';

// Projection writes are short database upserts: local activities keep them off the task queue and
// out of the history (one marker each). They retry without limit so the read model always converges.
const { projectPayment } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

const { authorizePayment, capturePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

// Compensation must happen: no attempt limit.
const { voidAuthorization } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

/**
 * One payment's whole life: pending for its delay (a durable timer, cancellable), then
 * authorize + capture through the gateway (voiding the authorization if capture fails for good),
 * then the webhook. Every state change is projected into Postgres with a rising version.
 */
export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<PaymentWorkflowResult> {
  const { webhookPolicy, ...fields } = input;
  const payment = initialSnapshot(fields, workflowInfo().firstExecutionRunId);
  let projectedVersion = 0;
  let cancelReason: string | null = null;
  let hurry = false;

  const state = (): PaymentWorkflowState => ({
    status: payment.status,
    version: payment.version,
    scheduledAt: payment.scheduledAt,
    failureReason: payment.failureReason,
    compensated: payment.compensated,
    webhookStatus: payment.webhookStatus,
  });

  const project = async (event: ProjectionEvent) => {
    await projectPayment({ ...payment }, event);
    projectedVersion = Math.max(projectedVersion, payment.version);
  };

  // Status changes synchronously (so update validators see it at once), then the write follows.
  const transition = async (
    status: PaymentStatus,
    details: Record<string, unknown> = {},
    change: Partial<PaymentSnapshot> = {},
  ) => {
    const now = Date.now();
    Object.assign(payment, change, { status, version: payment.version + 1, updatedAt: now });
    if (status === 'completed' || status === 'failed' || status === 'canceled') payment.completedAt = now;
    await project({ type: `payment.${status}` as ProjectionEvent['type'], details });
  };

  const refuseUnlessPending = (action: string) => {
    if (payment.status !== 'pending' || cancelReason !== null || hurry) {
      const now = cancelReason !== null ? 'being canceled' : hurry && payment.status === 'pending' ? 'about to be processed' : payment.status;
      throw ApplicationFailure.create({
        type: NOT_PENDING_ERROR,
        message: `payment is ${now}; only a pending payment can be ${action}`,
        nonRetryable: true,
      });
    }
  };

  setHandler(getStateQuery, state);
  setHandler(
    cancelUpdate,
    async ({ reason }) => {
      cancelReason = reason?.trim() || 'canceled on request';
      await condition(() => payment.status === 'canceled' && projectedVersion >= payment.version);
      return state();
    },
    { validator: (_request) => refuseUnlessPending('canceled') },
  );
  setHandler(
    processNowUpdate,
    async () => {
      hurry = true;
      await condition(() => payment.status !== 'pending' && projectedVersion >= payment.version);
      return state();
    },
    { validator: () => refuseUnlessPending('processed early') },
  );

  await project({ type: 'payment.created', details: {} });

  const problem = paymentInputProblem(fields);
  if (problem) {
    await transition('failed', { reason: problem }, { failureReason: problem });
  } else {
    // A zero or past-due delay must not create a timer: it would cost history events for nothing.
    const remaining = payment.scheduledAt - Date.now();
    if (remaining > 0 && cancelReason === null && !hurry) {
      await condition(() => cancelReason !== null || hurry, remaining);
    }
    if (cancelReason !== null) {
      await transition('canceled', { reason: cancelReason }, { failureReason: null });
    } else {
      await charge(payment, transition, hurry);
    }
  }

  if (payment.webhookUrl) await deliverFinalWebhook(payment, webhookPolicy, project);

  await condition(allHandlersFinished);
  return {
    status: payment.status,
    failureReason: payment.failureReason,
    compensated: payment.compensated,
    webhookStatus: payment.webhookStatus,
  };
}

type Transition = (status: PaymentStatus, details?: Record<string, unknown>, change?: Partial<PaymentSnapshot>) => Promise<void>;

/** authorize → capture; a capture that fails for good voids the authorization (saga compensation). */
async function charge(payment: PaymentSnapshot, transition: Transition, early: boolean): Promise<void> {
  await transition('processing', early ? { early: true } : {});
  const scenario = typeof payment.data.simulate === 'string' ? payment.data.simulate : undefined;
  const request = { paymentId: payment.paymentId, amount: payment.amount, currency: payment.currency, scenario };

  let authorizationId: string;
  try {
    ({ authorizationId } = await authorizePayment(request));
  } catch (err) {
    const reason = failureMessage(err);
    await transition('failed', { reason, step: 'authorize' }, { failureReason: reason });
    return;
  }
  try {
    await capturePayment({ paymentId: payment.paymentId, authorizationId, scenario });
  } catch (err) {
    const reason = failureMessage(err);
    await voidAuthorization({ paymentId: payment.paymentId, authorizationId });
    await transition('failed', { reason, step: 'capture', compensated: true }, { failureReason: reason, compensated: true });
    return;
  }
  await transition('completed', { authorizationId });
}

async function deliverFinalWebhook(
  payment: PaymentSnapshot,
  policy: PaymentWorkflowInput['webhookPolicy'],
  project: (event: ProjectionEvent) => Promise<void>,
): Promise<void> {
  const { deliverWebhook } = proxyActivities<Activities>({
    startToCloseTimeout: policy.timeoutMs + 5_000,
    retry: { initialInterval: policy.initialIntervalMs, backoffCoefficient: 2, maximumInterval: '1h', maximumAttempts: policy.maxAttempts },
  });
  const type = `payment.${payment.status}`;
  let details: Record<string, unknown>;
  try {
    const outcome = await deliverWebhook({
      url: payment.webhookUrl!,
      messageId: `msg_${payment.paymentId}_${payment.version}`,
      timeoutMs: policy.timeoutMs,
      payload: {
        type,
        payment_id: payment.paymentId,
        timestamp: new Date(payment.updatedAt).toISOString(),
        data: payment.data,
        payment: paymentPayload(payment),
      },
    });
    payment.webhookStatus = 'delivered';
    details = { event: type, statusCode: outcome.statusCode, attempts: outcome.attempt, latencyMs: outcome.latencyMs };
  } catch (err) {
    payment.webhookStatus = 'failed';
    details = { event: type, error: failureMessage(err) };
  }
  payment.version += 1;
  payment.updatedAt = Date.now();
  await project({ type: payment.webhookStatus === 'delivered' ? 'webhook.delivered' : 'webhook.failed', details });
}

/** The payment as webhook receivers see it: the same field names and formats as the API. */
function paymentPayload(p: PaymentSnapshot): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: p.paymentId,
    reference: p.reference,
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    description: p.description,
    failureReason: p.failureReason,
    compensated: p.compensated,
    scheduledAt: iso(p.scheduledAt),
    createdAt: iso(p.createdAt),
    completedAt: iso(p.completedAt),
  };
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
