import type { ConnectorKind } from './vocabulary.js';

/** A connector a payment may go to: one of the merchant's accounts, or the built-in simulator (null). */
export interface ConnectorRef {
  accountId: string | null;
  kind: ConnectorKind;
}

/** One place on a payment's route: which connector, and how many the route had tried before it (plus one). */
export interface RouteStep extends ConnectorRef {
  routeAttempt: number;
  /** Another connector follows: an unavailable one is given up at once instead of retried. */
  failover: boolean;
}

/** A merchant with no connector account pays through the built-in simulator, as before accounts existed. */
export const BUILT_IN_SIMULATOR: ConnectorRef = { accountId: null, kind: 'simulator' };

/** Failure type: the request never reached the processor, so the route may move on at once. */
export const CONNECTOR_UNAVAILABLE_ERROR = 'ConnectorUnavailable';
/** Failure type: a retried authorize found the connector unavailable; the earlier send must be settled. */
export const CONNECTOR_OUTCOME_UNKNOWN_ERROR = 'ConnectorOutcomeUnknown';
/** Failure type: a definite refusal; the route never moves on after it. */
export const CONNECTOR_DECLINED_ERROR = 'GatewayDeclined';
/** Failure type: an abandoned attempt turned out captured; a person must reconcile it. */
export const CONNECTOR_RECONCILE_ERROR = 'ConnectorNeedsReconciliation';
