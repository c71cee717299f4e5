import { ApplicationFailure } from '@temporalio/workflow';
import { errorChain } from '../../common/error-chain.js';
import {
  CONNECTOR_DECLINED_ERROR,
  CONNECTOR_RECONCILE_ERROR,
  CONNECTOR_UNAVAILABLE_ERROR,
  type ConnectorRef,
  type RouteStep,
} from '../../common/connector-route.js';
import { authorizeBeforeFailover, authorizePayment, planRoute, settleAbandonedAttempt } from './activity-proxies.js';
import { failureMessage } from './failures.js';
import type { PaymentRun } from './payment-run.js';

export interface Authorization {
  authorizationId: string;
  route: RouteStep;
  /** The connectors tried before it and why each was left, for the timeline. */
  failedOver: Array<{ connector: string; accountId: string | null; reason: string }>;
}

export type RouteOutcome =
  | { authorized: Authorization }
  /** `route`: the connector whose answer ended the route, when one did. */
  | { failed: { reason: string; failedOver: Authorization['failedOver']; route?: RouteStep } };

/**
 * Authorizes along the merchant's route: each connector in order until one authorizes. A decline
 * ends the route (another processor must not be asked to overrule it); an unavailable connector is
 * left at once; one whose outcome stayed unknown is first proven empty or voided, so no two
 * connectors ever hold the payment's money.
 */
export async function authorizeAlongRoute(
  payment: PaymentRun,
  scenario: string | undefined,
  planned?: ConnectorRef[],
): Promise<RouteOutcome> {
  const { paymentId, merchantId, amount, currency, paymentMethodId, data } = payment.snapshot;
  const paymentMethodToken = typeof data.paymentMethodToken === 'string' ? data.paymentMethodToken : undefined;
  // Histories before 'charge-opens-in-one-write' read the route in a local activity of its own.
  const connectors = planned ?? (await planRoute({ merchantId, amount, currency, paymentMethodId }));
  const failedOver: Authorization['failedOver'] = [];
  if (connectors.length === 0)
    return { failed: { reason: 'no connector of the merchant accepts this payment (currency, amount or payment method)', failedOver } };

  for (const [index, connector] of connectors.entries()) {
    const route: RouteStep = { ...connector, routeAttempt: index + 1, failover: index + 1 < connectors.length };
    const authorize = route.failover ? authorizeBeforeFailover : authorizePayment;
    try {
      const request = {
        paymentId,
        amount,
        currency,
        route,
        ...(scenario ? { scenario } : {}),
        ...(paymentMethodToken ? { paymentMethodToken } : {}),
      };
      const { authorizationId } = await authorize(request);
      return { authorized: { authorizationId, route, failedOver } };
    } catch (err) {
      const reason = failureMessage(err);
      const type = failureType(err);
      if (type === CONNECTOR_DECLINED_ERROR) return { failed: { reason, failedOver, route } };
      // Unless every try provably never reached the connector, it may hold the money: prove the attempt
      // empty or void it before the payment fails or another connector is asked.
      if (type !== CONNECTOR_UNAVAILABLE_ERROR) {
        const unsettled = await settle(paymentId, amount, currency, route);
        if (unsettled) return { failed: { reason: unsettled, failedOver, route } };
      }
      if (!route.failover) return { failed: { reason, failedOver, route } };
      failedOver.push({ connector: route.kind, accountId: route.accountId, reason });
    }
  }
  // Unreachable: the last connector never fails over.
  return { failed: { reason: 'no connector authorized the payment', failedOver } };
}

/**
 * Settles an abandoned attempt (retried until the connector answers); a reason when it cannot be
 * settled for good (found captured, or the connector refuses the lookup or the void): then the
 * route stops there, for a person to reconcile, rather than risk a second connector holding money.
 */
async function settle(paymentId: string, amount: number, currency: string, route: RouteStep): Promise<string | null> {
  try {
    await settleAbandonedAttempt({ paymentId, amount, currency, route });
    return null;
  } catch (err) {
    if (failureType(err) === CONNECTOR_RECONCILE_ERROR) return failureMessage(err);
    return `the attempt at ${route.kind} ${route.accountId ?? '(built-in)'} could not be settled (${failureMessage(err)}); reconcile it before anything else`;
  }
}

/** The activity's failure type (an ActivityFailure wraps it; a plain Error arrives typed `Error`). */
function failureType(err: unknown): string | undefined {
  for (const e of errorChain(err)) if (e instanceof ApplicationFailure) return e.type ?? undefined;
  return undefined;
}
