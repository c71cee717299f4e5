import { allHandlersFinished, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { isTerminal } from '../../common/vocabulary.js';
import { paymentInputProblem } from '../../common/payment-rules.js';
import {
  cancelUpdate,
  getStateQuery,
  processNowUpdate,
  type PaymentWorkflowInput,
  type PaymentWorkflowResult,
} from '../../common/workflow-api.js';
import { acceptCaptureRequests, refuseCancelUnlessCancelable } from './capture.js';
import { acceptAmendments } from './amend.js';
import { CHARGE_OPENS_IN_ONE_WRITE, charge } from './charge.js';
import { refusalOf } from './failures.js';
import { PaymentRun } from './payment-run.js';

/**
 * One payment's whole life: pending for its delay (a durable timer, cancellable), then
 * authorize + capture through the gateway (voiding the authorization if capture fails for good),
 * then webhooks. Every state change is projected into Postgres with a rising version, and the
 * projection returns the webhook messages it enqueued for this workflow to deliver.
 */
export async function paymentWorkflow(fields: PaymentWorkflowInput): Promise<PaymentWorkflowResult> {
  const payment = new PaymentRun(fields, workflowInfo().firstExecutionRunId);
  acceptRequests(payment);
  try {
    await live(payment);
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal === undefined || !patched('projection-refusal-ends-payment')) throw err;
    await payment.endRefused(refusal);
  }
  await condition(allHandlersFinished);
  return payment.result();
}

/** The state query, the updates a pending payment accepts (amend, cancel, process now), and capture. */
function acceptRequests(payment: PaymentRun): void {
  setHandler(getStateQuery, () => payment.state());
  setHandler(
    cancelUpdate,
    async ({ reason }) => {
      payment.requestCancel(reason);
      // Canceled, or ended otherwise (a refused projection): the caller reads which.
      await condition(() => isTerminal(payment.snapshot.status) && payment.projected);
      return payment.state();
    },
    // Pending, or awaiting capture (the cancel then voids the authorization).
    { validator: (_request) => refuseCancelUnlessCancelable(payment) },
  );
  setHandler(
    processNowUpdate,
    async () => {
      payment.requestProcessNow();
      await condition(() => payment.snapshot.status !== 'pending' && payment.projected);
      return payment.state();
    },
    { validator: () => payment.refuseUnlessPending('processed early') },
  );
  acceptCaptureRequests(payment);
  acceptAmendments(payment);
}

/** created → failed (invalid input) | canceled | charged, then every webhook delivered. */
async function live(payment: PaymentRun): Promise<void> {
  const dueAtOnce = !paymentInputProblem(payment.snapshot) && !payment.interrupted && payment.snapshot.scheduledAt <= Date.now();
  if (dueAtOnce && patched(CHARGE_OPENS_IN_ONE_WRITE)) {
    // Nothing to wait for: `created` is written with the charge's opening (the API wrote it already, unless it died).
    await charge(payment, false);
  } else {
    await payment.project({ type: 'payment.created', details: {} });
    // Checked after the write, as released histories did: an amendment may have arrived meanwhile.
    const problem = paymentInputProblem(payment.snapshot);
    if (problem) {
      await payment.transition('failed', { reason: problem }, { failureReason: problem });
    } else {
      await waitUntilDue(payment);
      if (payment.cancelReason !== null) await cancel(payment, payment.cancelReason);
      else await charge(payment);
    }
  }
  await payment.drainWebhooks();
}

/**
 * Sleeps the payment's delay, or less if a caller cancels it or asks to process it now. An
 * amendment that moves the schedule wakes it, and it sleeps again until the new time.
 */
async function waitUntilDue(payment: PaymentRun): Promise<void> {
  for (;;) {
    const due = payment.snapshot.scheduledAt;
    // A zero or past-due delay must not create a timer: it would cost history events for nothing.
    const remaining = due - Date.now();
    if (remaining <= 0 || payment.interrupted) return;
    await condition(() => payment.interrupted || payment.snapshot.scheduledAt !== due, remaining);
    // Histories recorded before amendments existed never moved the schedule, so never get past here.
    if (payment.snapshot.scheduledAt === due || !patched('amend-rearms-delay')) return;
  }
}

async function cancel(payment: PaymentRun, reason: string): Promise<void> {
  // A Go-contract payment's own webhook is never called on cancel, so it has no delivery to wait for.
  const silent = payment.snapshot.notifyOwnWebhook === 'processed' && patched('go-contract-cancel-without-webhook');
  await payment.transition('canceled', { reason }, { failureReason: null, ...(silent ? { webhookStatus: null } : {}) });
}
