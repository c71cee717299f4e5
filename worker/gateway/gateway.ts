/** What the workflow needs from a payment gateway. Every call is idempotent by payment id. */
export interface Gateway {
  /** Reserves the amount. Throws GatewayDeclinedError for a final refusal; any other error is transient. */
  authorize(request: AuthorizeRequest): Promise<{ authorizationId: string }>;
  /** Takes the reserved funds: `amount` of them (at most the authorized amount), or all when absent. */
  capture(request: { paymentId: string; authorizationId: string; amount?: number; scenario?: string }): Promise<void>;
  /** Releases an authorization that will not be captured (the saga's compensation). */
  void(request: { paymentId: string; authorizationId: string }): Promise<void>;
  /**
   * Returns captured funds; idempotent by refund id (a retry never refunds twice). Throws
   * GatewayDeclinedError when the gateway refuses it for good; any other error is transient.
   */
  refund(request: RefundRequest): Promise<void>;
}

export interface RefundRequest {
  paymentId: string;
  refundId: string;
  amount: number;
  currency: string;
  /** Simulator only: `data.simulate` of the payment. Real gateways ignore it. */
  scenario?: string;
}

export interface AuthorizeRequest {
  paymentId: string;
  amount: number;
  currency: string;
  /** Simulator only: `data.simulate` of the payment. Real gateways ignore it. */
  scenario?: string;
  signal?: AbortSignal;
}

/** The gateway said no, and asking again will not change its answer. */
export class GatewayDeclinedError extends Error {
  override name = 'GatewayDeclinedError';
}
