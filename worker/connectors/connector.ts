import type { ConnectorKind } from '../../common/vocabulary.js';

/**
 * A payment processor as the workflow uses it: the built-in simulator, Stripe, … Every call carries
 * an idempotency key the workflow derives from payment id + step + route attempt (never the activity
 * attempt), so a retried activity sends the same key and the processor never charges twice.
 *
 * Errors say what the caller may do next:
 * - `ConnectorDeclinedError`: a definite refusal; asking again (anywhere) will not change it;
 * - `ConnectorUnavailableError`: the request provably did not reach the processor (connection
 *   refused, circuit open, rate limited): safe to fail over to the next connector at once;
 * - anything else: the outcome is unknown (timeout, reset, 5xx): retry with the same key, and
 *   before failing over prove the attempt absent or void it (`status`, `void`).
 */
export interface Connector {
  readonly kind: ConnectorKind;
  /** Reserves the amount; returns the processor's reference for it (capture, void and refund use it). */
  authorize(request: AuthorizeRequest): Promise<{ authorizationId: string }>;
  /** Takes the reserved funds: `amount` of them (at most the authorized amount), or all when absent. */
  capture(request: CaptureRequest): Promise<void>;
  /** Releases an authorization that will not be captured (the saga's compensation, or a failover). */
  void(request: VoidRequest): Promise<void>;
  /** Returns captured funds; idempotent by refund id. */
  refund(request: RefundRequest): Promise<void>;
  /**
   * What the processor holds for one authorize attempt (its idempotency key): reconciliation, and
   * the proof an abandoned attempt left nothing behind before the route moves on. Never moves money.
   */
  status(request: StatusRequest): Promise<ProcessorStatus>;
}

export interface AuthorizeRequest {
  paymentId: string;
  idempotencyKey: string;
  amount: number;
  currency: string;
  /** Simulator only: `data.simulate` of the payment. Real processors ignore it. */
  scenario?: string;
  /** The processor's own payment method (`data.paymentMethodToken`, e.g. Stripe's `pm_card_visa`). */
  paymentMethodToken?: string;
  signal?: AbortSignal;
}

export interface CaptureRequest {
  paymentId: string;
  authorizationId: string;
  idempotencyKey: string;
  /** Part of the authorization (manual capture); absent, all of it. */
  amount?: number;
  scenario?: string;
}

export interface VoidRequest {
  paymentId: string;
  authorizationId: string;
  idempotencyKey: string;
}

export interface RefundRequest {
  paymentId: string;
  authorizationId: string;
  refundId: string;
  idempotencyKey: string;
  amount: number;
  currency: string;
  scenario?: string;
}

export interface StatusRequest {
  paymentId: string;
  /** The authorize attempt's key. */
  idempotencyKey: string;
  /** As the attempt sent them: a processor may answer a lookup by replaying the attempt's creation. */
  amount: number;
  currency: string;
  /** When the attempt's answer arrived, its reference. */
  authorizationId?: string;
}

export type ProcessorStatus =
  /** Nothing held; `authorizationId` when the processor has an empty intent a late confirmation could still fill. */
  | { state: 'absent'; authorizationId?: string }
  | { state: 'authorized' | 'captured' | 'voided'; authorizationId: string; amount: number; capturedAmount: number | null };

/** The processor said no, and asking again will not change its answer. */
export class ConnectorDeclinedError extends Error {
  override name = 'ConnectorDeclinedError';
}

/** The request never reached the processor (or was refused unprocessed): safe to send it elsewhere. */
export class ConnectorUnavailableError extends Error {
  override name = 'ConnectorUnavailableError';
}

/**
 * The key of one processor call. `routeAttempt` counts connectors tried for this payment (1 for
 * the first); Temporal's activity attempt is deliberately not part of it, so a retry repeats the key.
 */
export function idempotencyKey(paymentId: string, step: string, routeAttempt: number): string {
  return `${paymentId}/${step}/${routeAttempt}`;
}
