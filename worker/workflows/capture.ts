import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { isTerminal } from '../../common/vocabulary.js';
import { INVALID_CAPTURE_AMOUNT_ERROR, NOT_PENDING_ERROR, captureUpdate } from '../../common/workflow-api.js';
import type { RouteStep } from '../../common/connector-route.js';
import { capturePayment, voidAuthorization } from './activity-proxies.js';
import { failureMessage } from './failures.js';
import type { PaymentRun } from './payment-run.js';

/** Only for a manual payment started without a window (never by the API, which always sets one). */
const FALLBACK_WINDOW_SECONDS = 7 * 24 * 3600;

export const EXPIRED_REASON = 'authorization expired';

/**
 * What callers asked of a payment awaiting capture. Set synchronously by the update handlers, so
 * the next validator in the same activation already sees it: a capture and a cancel can never
 * both be accepted, and nothing is accepted once the window has closed.
 */
export class CaptureRequests {
  /** The amount a caller asked to capture; null while nobody did. */
  requested: number | null = null;
  /** The window ended without a capture: the authorization is being voided. */
  closed = false;

  get open(): boolean {
    return this.requested === null && !this.closed;
  }
}

/** The capture update: accepted only while the payment awaits capture, for 0 < amount ≤ authorized. */
export function acceptCaptureRequests(payment: PaymentRun): void {
  setHandler(
    captureUpdate,
    async ({ amount }) => {
      payment.captures.requested = amount ?? payment.snapshot.amount;
      await condition(() => isTerminal(payment.snapshot.status) && payment.projected);
      return payment.state();
    },
    { validator: ({ amount }) => refuseCaptureUnlessAwaiting(payment, amount) },
  );
}

function refuseCaptureUnlessAwaiting(payment: PaymentRun, amount: number | undefined): void {
  if (!awaitingCapture(payment)) {
    const { status } = payment.snapshot;
    const now = payment.cancelReason !== null ? 'being canceled' : payment.captures.requested !== null ? 'being captured' : status;
    throw ApplicationFailure.create({
      type: NOT_PENDING_ERROR,
      message:
        payment.captures.closed && payment.cancelReason === null
          ? `payment's authorization expired; only a payment awaiting capture can be captured`
          : `payment is ${now}; only a payment awaiting capture can be captured`,
      nonRetryable: true,
    });
  }
  const authorized = payment.snapshot.amount;
  if (amount !== undefined && !(Number.isInteger(amount) && amount > 0 && amount <= authorized)) {
    throw ApplicationFailure.create({
      type: INVALID_CAPTURE_AMOUNT_ERROR,
      message: `amount must be an integer from 1 to the authorized ${authorized}`,
      nonRetryable: true,
    });
  }
}

/** Nobody has asked for anything yet and the window is still open. */
function awaitingCapture(payment: PaymentRun): boolean {
  return payment.snapshot.status === 'requires_capture' && payment.captures.open && payment.cancelReason === null;
}

/**
 * The cancel update's check: a pending payment (as before), or one awaiting capture that nobody
 * captures or cancels yet, whose authorization the cancel then voids (as Stripe cancels a
 * `requires_capture` PaymentIntent).
 */
export function refuseCancelUnlessCancelable(payment: PaymentRun): void {
  if (awaitingCapture(payment)) return;
  if (payment.snapshot.status === 'requires_capture') {
    throw ApplicationFailure.create({
      type: NOT_PENDING_ERROR,
      message: `payment is ${cancelRefusalState(payment)}; it can no longer be canceled`,
      nonRetryable: true,
    });
  }
  payment.refuseUnlessPending('canceled');
}

// Validator text only (a rejected update leaves no history), so no patched() is needed.
function cancelRefusalState(payment: PaymentRun): string {
  if (payment.cancelReason !== null) return 'being canceled';
  if (payment.captures.closed) return 'past its capture window (its authorization is being voided)';
  return 'being captured';
}

/**
 * Manual capture, once authorized: `requires_capture` until the merchant captures (all or part),
 * cancels, or the window ends (a durable timer); the last two void the authorization.
 */
export async function awaitCapture(
  payment: PaymentRun,
  authorizationId: string,
  scenario: string | undefined,
  route: RouteStep | undefined,
  routeDetails: Record<string, unknown>,
): Promise<void> {
  const { paymentId, amount } = payment.snapshot;
  const via = route ? { route } : {};
  const captureBefore = Date.now() + (payment.snapshot.captureWindowSeconds ?? FALLBACK_WINDOW_SECONDS) * 1000;
  await payment.transition(
    'requires_capture',
    { authorizationId, capturableAmount: amount, captureBefore: new Date(captureBefore).toISOString(), ...routeDetails },
    { captureBefore },
  );
  const asked = () => payment.captures.requested !== null || payment.cancelReason !== null;
  const remaining = captureBefore - Date.now();
  if (remaining > 0 && !asked()) await condition(asked, remaining);

  // A capture accepted in the very activation the timer fired in still wins: it was promised.
  const requested = payment.captures.requested;
  if (requested !== null) {
    await captureAuthorized(payment, authorizationId, requested, scenario, via, routeDetails);
    return;
  }
  payment.captures.closed = true;
  const reason = payment.cancelReason ?? EXPIRED_REASON;
  const voidRefused = await voidOrRefusal(paymentId, authorizationId, via);
  if (voidRefused) {
    // Nothing was captured, so the payment is canceled; the authorization lapses at the processor.
    await payment.transition(
      'canceled',
      { reason, authorizationId, compensated: false, voidRefused, ...routeDetails },
      { failureReason: null, compensated: false },
    );
    return;
  }
  await payment.transition(
    'canceled',
    { reason, authorizationId, compensated: true, ...routeDetails },
    { failureReason: null, compensated: true },
  );
}

/**
 * Voids an authorization (retried until the connector answers); the connector's reason when it
 * refuses the void for good, which the payment then records instead of failing its workflow.
 */
export async function voidOrRefusal(paymentId: string, authorizationId: string, via: { route?: RouteStep }): Promise<string | null> {
  try {
    await voidAuthorization({ paymentId, authorizationId, ...via });
    return null;
  } catch (err) {
    return `the void was refused (${failureMessage(err)}); reconcile the authorization at the processor`;
  }
}

async function captureAuthorized(
  payment: PaymentRun,
  authorizationId: string,
  amount: number,
  scenario: string | undefined,
  via: { route?: RouteStep },
  routeDetails: Record<string, unknown>,
) {
  const { paymentId } = payment.snapshot;
  try {
    await capturePayment({ paymentId, authorizationId, amount, scenario, ...via });
  } catch (err) {
    await failCapture(payment, failureMessage(err), authorizationId, via, routeDetails);
    return;
  }
  await payment.transition('completed', { authorizationId, capturedAmount: amount, ...routeDetails }, { capturedAmount: amount });
}

/** A capture refused for good: the authorization is voided (the saga's compensation), then the payment fails. */
export async function failCapture(
  payment: PaymentRun,
  reason: string,
  authorizationId: string,
  via: { route?: RouteStep },
  routeDetails: Record<string, unknown>,
): Promise<void> {
  const voidRefused = await voidOrRefusal(payment.snapshot.paymentId, authorizationId, via);
  const failureReason = voidRefused ? `${reason}; ${voidRefused}` : reason;
  await payment.transition(
    'failed',
    { reason, step: 'capture', compensated: !voidRefused, ...(voidRefused ? { voidRefused } : {}), ...routeDetails },
    { failureReason, compensated: !voidRefused },
  );
}
