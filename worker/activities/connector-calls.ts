import { ApplicationFailure, Context } from '@temporalio/activity';
import { sql } from 'drizzle-orm';
import {
  BUILT_IN_SIMULATOR,
  CONNECTOR_DECLINED_ERROR,
  CONNECTOR_OUTCOME_UNKNOWN_ERROR,
  CONNECTOR_RECONCILE_ERROR,
  CONNECTOR_UNAVAILABLE_ERROR,
  type ConnectorRef,
  type RouteStep,
} from '../../common/connector-route.js';
import { connectorCallDuration, gatewayCalls } from '../../common/metrics.js';
import type { AttemptOutcome, ConnectorStep } from '../../common/vocabulary.js';
import type { Database } from '../../db/client.js';
import { recordAttempt } from '../../db/payment-attempts.js';
import { accountLabel, ConnectorSkippedError, type ConnectorBreakers } from '../connectors/breaker.js';
import { ConnectorDeclinedError, ConnectorUnavailableError, idempotencyKey, type Connector } from '../connectors/connector.js';
import type { ConnectorDirectory } from '../connectors/directory.js';
import { planRoute, type RoutedPayment } from '../connectors/routing.js';

export interface ConnectorCallDependencies {
  db: Database;
  connectors: ConnectorDirectory;
  breakers: ConnectorBreakers;
}

/** Histories recorded before routing call without a route: the built-in simulator, first attempt. */
const FIRST_BUILT_IN: RouteStep = { ...BUILT_IN_SIMULATOR, routeAttempt: 1, failover: false };

/**
 * Runs one call to a connector: through the account's circuit breaker when it is a route's
 * authorize, timed, recorded in payment_attempts and in the metrics, its error mapped to what the
 * workflow does next (declined: never again; unavailable: next connector; else retried).
 */
export function connectorCaller({ db, connectors, breakers }: ConnectorCallDependencies) {
  return async function call<T>(
    operation: { step: ConnectorStep; keyStep?: string; paymentId: string; route: RouteStep; viaBreaker?: boolean },
    send: (connector: Connector, key: string) => Promise<T>,
  ): Promise<T> {
    const { step, paymentId, route } = operation;
    const key = idempotencyKey(paymentId, operation.keyStep ?? step, route.routeAttempt);
    const started = performance.now();
    let outcome: AttemptOutcome = 'succeeded';
    let error: string | null = null;
    try {
      const connector = await connectors.get(route);
      return await (operation.viaBreaker ? breakers.run(route, () => send(connector, key)) : send(connector, key));
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      if (err instanceof ConnectorDeclinedError) {
        outcome = 'declined';
        throw ApplicationFailure.nonRetryable(error, CONNECTOR_DECLINED_ERROR);
      }
      if (err instanceof ConnectorUnavailableError) {
        outcome = err instanceof ConnectorSkippedError ? 'skipped' : 'unavailable';
        // "Never sent" lets the route move on only for an authorize whose every earlier send was never
        // sent either; capture, void, refund and status must reach this connector (it holds the money).
        if (step !== 'authorize') throw ApplicationFailure.retryable(error, CONNECTOR_UNAVAILABLE_ERROR);
        if (!(await earlierSendsUnsent(db, key, Context.current().info.attempt)))
          throw ApplicationFailure.retryable(error, CONNECTOR_OUTCOME_UNKNOWN_ERROR);
        // The last connector is retried (it may come back); with another next, move on now.
        throw ApplicationFailure.create({ message: error, type: CONNECTOR_UNAVAILABLE_ERROR, nonRetryable: route.failover });
      }
      outcome = 'unknown';
      throw err;
    } finally {
      const latencyMs = Math.round(performance.now() - started);
      const labels = { connector: route.kind, account: accountLabel(route), operation: step, outcome };
      gatewayCalls.inc(labels);
      connectorCallDuration.observe(labels, latencyMs / 1000);
      // The log of attempts is evidence, not state: failing to write it must not turn a charge into a retry.
      await recordAttempt(db, {
        paymentId,
        step,
        routeAttempt: route.routeAttempt,
        connectorAccountId: route.accountId,
        connector: route.kind,
        idempotencyKey: key,
        outcome,
        latencyMs,
        error,
      }).catch((recordError: unknown) =>
        Context.current().log.warn('connector attempt not recorded', { paymentId, step, error: String(recordError) }),
      );
    }
  };
}

/**
 * Whether every earlier try of this call (same key) provably never reached the processor, by the
 * attempts log: each logged as unavailable or skipped, and none missing (a try killed mid-call
 * leaves no row, and its outcome is unknown).
 */
async function earlierSendsUnsent(db: Database, key: string, attempt: number): Promise<boolean> {
  if (attempt === 1) return true;
  const result = await db.execute<{ outcome: string }>(sql`select outcome from payment_attempts where idempotency_key = ${key}`);
  const rows = result?.rows ?? [];
  return rows.length === attempt - 1 && rows.every((r) => r.outcome === 'unavailable' || r.outcome === 'skipped');
}

export interface AuthorizeInput {
  paymentId: string;
  amount: number;
  currency: string;
  scenario?: string;
  paymentMethodToken?: string;
  route?: RouteStep;
}

export interface CaptureRequest {
  paymentId: string;
  authorizationId: string;
  amount?: number;
  scenario?: string;
  route?: RouteStep;
}

export function createConnectorActivities(deps: ConnectorCallDependencies) {
  const call = connectorCaller(deps);
  return {
    /** The connectors this payment may go to, in the merchant's order (empty: none accepts it). */
    async planRoute(payment: RoutedPayment): Promise<ConnectorRef[]> {
      return planRoute(deps.db, payment);
    },

    async authorizePayment(request: AuthorizeInput): Promise<{ authorizationId: string }> {
      const { route = FIRST_BUILT_IN, ...rest } = request;
      // The breaker serves failover: only a connector with another after it is skipped while open, so
      // a merchant's only connector (and the built-in simulator every account-less merchant shares) is always tried.
      return call({ step: 'authorize', paymentId: request.paymentId, route, viaBreaker: route.failover }, (connector, key) =>
        connector.authorize({ ...withoutUndefined(rest), idempotencyKey: key, signal: Context.current().cancellationSignal }),
      );
    },

    /** `amount` (manual capture) takes part of the authorization; absent, all of it. */
    async capturePayment(request: CaptureRequest): Promise<void> {
      const { route = FIRST_BUILT_IN, ...rest } = request;
      return call({ step: 'capture', paymentId: request.paymentId, route }, (connector, key) =>
        connector.capture({ ...withoutUndefined(rest), idempotencyKey: key }),
      );
    },

    async voidAuthorization(request: { paymentId: string; authorizationId: string; route?: RouteStep }): Promise<void> {
      const { route = FIRST_BUILT_IN, paymentId, authorizationId } = request;
      return call({ step: 'void', paymentId, route }, (connector, key) =>
        connector.void({ paymentId, authorizationId, idempotencyKey: key }),
      );
    },

    /**
     * Before the route moves past an attempt whose outcome is unknown: proves it left nothing
     * (`absent`) or voids what it left (`voided`). Never moves money forward; an attempt found
     * captured (which authorize never asks for) stops the route for a person to reconcile.
     */
    async settleAbandonedAttempt(request: {
      paymentId: string;
      amount: number;
      currency: string;
      route: RouteStep;
    }): Promise<'absent' | 'voided'> {
      const { paymentId, amount, currency, route } = request;
      const authorizeKey = idempotencyKey(paymentId, 'authorize', route.routeAttempt);
      const found = await call({ step: 'status', paymentId, route }, (connector) =>
        connector.status({ paymentId, idempotencyKey: authorizeKey, amount, currency }),
      );
      if (found.state === 'voided') return 'voided';
      if (found.state === 'absent') {
        // An empty intent a confirmation still in flight could fill: closed, best effort (it was empty
        // when read, and a processor that cannot cancel it must not keep the payment from moving on).
        const { authorizationId } = found;
        if (authorizationId)
          await call({ step: 'void', paymentId, route }, (connector, key) =>
            connector.void({ paymentId, authorizationId, idempotencyKey: key }),
          ).catch(() => undefined);
        return 'absent';
      }
      if (found.state === 'captured')
        throw ApplicationFailure.nonRetryable(
          `the abandoned attempt ${authorizeKey} was found captured at ${route.kind}; reconcile it before anything else`,
          CONNECTOR_RECONCILE_ERROR,
        );
      await call({ step: 'void', paymentId, route }, (connector, key) =>
        connector.void({ paymentId, authorizationId: found.authorizationId, idempotencyKey: key }),
      );
      return 'voided';
    },
  };
}

/** exactOptionalPropertyTypes: optional fields are left out, not set to undefined. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
