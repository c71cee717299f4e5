import { patched } from '@temporalio/workflow';
import type { RouteStep } from '../../common/connector-route.js';
import { authorizePayment, capturePayment } from './activity-proxies.js';
import { failureMessage } from './failures.js';
import { awaitCapture, failCapture } from './capture.js';
import type { PaymentRun } from './payment-run.js';
import { authorizeAlongRoute, type Authorization } from './route.js';

/** authorize → capture (or, for manual capture, wait for the merchant's); a capture that fails for good voids the authorization (saga compensation). */
export async function charge(payment: PaymentRun): Promise<void> {
  await payment.transition('processing', payment.processNowRequested ? { early: true } : {});
  const { paymentId, amount, currency, data } = payment.snapshot;
  const scenario = typeof data.simulate === 'string' ? data.simulate : undefined;

  let authorizationId: string;
  // Released histories authorized through the built-in simulator alone, without a route.
  let route: RouteStep | undefined;
  let routeDetails: Record<string, unknown> = {};
  if (patched('connector-routing')) {
    const outcome = await authorizeAlongRoute(payment, scenario);
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
  try {
    await capturePayment({ paymentId, authorizationId, scenario, ...via });
  } catch (err) {
    await failCapture(payment, failureMessage(err), authorizationId, via, routeDetails);
    return;
  }
  // Only the snapshot changes (what the read model stores), not the commands: old histories replay.
  await payment.transition('completed', { authorizationId, ...routeDetails }, { capturedAmount: amount });
}

/** The timeline names the connectors the route left, and why. */
function failoverDetails(failedOver: Authorization['failedOver']): Record<string, unknown> {
  return failedOver.length === 0 ? {} : { failedOver };
}
