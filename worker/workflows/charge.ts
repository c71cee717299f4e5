import { patched } from '@temporalio/workflow';
import type { ConnectorRef, RouteStep } from '../../common/connector-route.js';
import type { OwnWebhookAttempt, RecordedWrite } from '../../common/workflow-api.js';
import { authorizePayment, capturePayment } from './activity-proxies.js';
import { failureMessage } from './failures.js';
import { awaitCapture, failCapture } from './capture.js';
import type { PaymentRun } from './payment-run.js';
import { authorizeAlongRoute, type Authorization } from './route.js';

/** Released histories wrote `processing` and read the route in local activities of their own. */
export const CHARGE_OPENS_IN_ONE_WRITE = 'charge-opens-in-one-write';

/**
 * authorize → capture (or, for manual capture, wait for the merchant's); a capture that fails for good
 * voids the authorization (saga compensation). `createdWritten`: false when the payment was due at once and its `created` state waits to be written with `processing`.
 */
export async function charge(payment: PaymentRun, createdWritten = true): Promise<void> {
  const early = payment.processNowRequested ? { early: true } : {};
  // One local activity writes `processing` (and `created`, when not written yet) and reads the route.
  const opensInOneWrite = !createdWritten || patched(CHARGE_OPENS_IN_ONE_WRITE);
  let planned: ConnectorRef[] | undefined;
  if (opensInOneWrite) planned = await payment.openCharge(early, !createdWritten);
  else await payment.transition('processing', early);
  const { paymentId, amount, currency, data } = payment.snapshot;
  const scenario = typeof data.simulate === 'string' ? data.simulate : undefined;

  let authorizationId: string;
  // Released histories authorized through the built-in simulator alone, without a route.
  let route: RouteStep | undefined;
  let routeDetails: Record<string, unknown> = {};
  if (opensInOneWrite || patched('connector-routing')) {
    const outcome = await authorizeAlongRoute(payment, scenario, planned);
    if ('failed' in outcome) {
      const { reason, failedOver, route: ended } = outcome.failed;
      // Named like a success's entry: which connector's answer ended the route (a decline, most often).
      const by = ended ? { connector: ended.kind, connectorAccountId: ended.accountId } : {};
      await payment.transition('failed', { reason, step: 'authorize', ...by, ...failoverDetails(failedOver) }, { failureReason: reason });
      return;
    }
    ({ authorizationId, route } = outcome.authorized);
    const { accountId, kind } = route;
    payment.snapshot.connector = { accountId, kind, authorizationId };
    routeDetails = { connector: kind, connectorAccountId: accountId, ...failoverDetails(outcome.authorized.failedOver) };
  } else {
    try {
      ({ authorizationId } = await authorizePayment({ paymentId, amount, currency, scenario }));
    } catch (err) {
      const reason = failureMessage(err);
      await payment.transition('failed', { reason, step: 'authorize' }, { failureReason: reason });
      return;
    }
  }
  const via = route ? { route } : {};
  // No released history has a capture method: this branch changes nothing they replay.
  if (payment.snapshot.captureMethod === 'manual') {
    await awaitCapture(payment, authorizationId, scenario, route, routeDetails);
    return;
  }
  // The capture writes `completed` itself once the money moved (no local activity after it). Histories
  // recorded before have no `recorded` in its result, so they replay the workflow's own write below.
  // With `notifies`, it also makes the own webhook's first attempt at once; a final outcome of it
  // replaces the delivery activity (results recorded before have no `ownWebhook`: they deliver as before).
  const completed = payment.nextState('completed', { authorizationId, ...routeDetails }, { capturedAmount: amount });
  let captured: { recorded?: RecordedWrite; ownWebhook?: OwnWebhookAttempt } | undefined;
  try {
    captured = await capturePayment({ paymentId, authorizationId, scenario, ...via, completes: completed, notifies: true });
  } catch (err) {
    await failCapture(payment, failureMessage(err), authorizationId, via, routeDetails);
    return;
  }
  if (captured?.recorded) payment.adoptWrite(completed.snapshot, captured.recorded, captured.ownWebhook);
  // Only the snapshot changes (what the read model stores), not the commands: old histories replay.
  else await payment.transition('completed', completed.event.details, { capturedAmount: amount });
}

/** The timeline names the connectors the route left, and why. */
function failoverDetails(failedOver: Authorization['failedOver']): Record<string, unknown> {
  return failedOver.length === 0 ? {} : { failedOver };
}
