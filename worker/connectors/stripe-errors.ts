import Stripe from 'stripe';
import { ConnectorDeclinedError, ConnectorUnavailableError } from './connector.js';

/** Connection failures that prove the request never left this machine: safe to send it elsewhere. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * What an error of the Stripe SDK means for the workflow:
 * - a card error, an invalid request or a reused key with other parameters is a definite no: Stripe
 *   answers the same request the same way every time;
 * - a rate limit, a refused key or a connection that never opened was not processed: fail over;
 * - a 5xx, a 409 (the same key still in flight), a timeout or a reset may have moved money: a plain
 *   Error, retried with the same key.
 * The message never carries the secret key (`redact`), and nothing of the SDK's error is attached,
 * since it would travel into the workflow history.
 */
export function connectorError(err: unknown, redact: (text: string) => string): Error {
  if (!(err instanceof Stripe.errors.StripeError)) {
    // Our own mapping errors pass through; anything else is an unknown outcome.
    if (err instanceof ConnectorDeclinedError || err instanceof ConnectorUnavailableError) return err;
    return new Error(redact(`stripe: ${err instanceof Error ? err.message : String(err)}`));
  }
  const text = redact(describe(err));
  if (err instanceof Stripe.errors.StripeCardError) return new ConnectorDeclinedError(text);
  if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeIdempotencyError)
    return new ConnectorDeclinedError(text);
  if (
    err instanceof Stripe.errors.StripeRateLimitError ||
    err instanceof Stripe.errors.StripeAuthenticationError ||
    err instanceof Stripe.errors.StripePermissionError
  )
    return new ConnectorUnavailableError(text);
  if (err instanceof Stripe.errors.StripeConnectionError) {
    const code = connectionCode(err.detail);
    // The SDK resends once after a reset even with retries off: the first send may have been processed,
    // so a refused resend proves nothing (its message then says "Request was retried").
    const resent = /Request was retried/.test(err.message);
    if (code && NEVER_SENT.has(code) && !resent) return new ConnectorUnavailableError(redact(`stripe: connection failed (${code})`));
    return new Error(redact(`stripe: connection error${code ? ` (${code})` : ''}: ${err.message}`));
  }
  return new Error(text);
}

/** `stripe: card_declined (insufficient_funds): Your card has insufficient funds.` */
function describe(err: InstanceType<typeof Stripe.errors.StripeError>): string {
  const code = err.code ?? err.rawType ?? err.type;
  const decline = err.decline_code && err.decline_code !== err.code ? ` (${err.decline_code})` : '';
  const status = err.statusCode && !err.code ? ` ${err.statusCode}` : '';
  return `stripe:${status} ${code}${decline}: ${err.message}`;
}

/** The socket error's code, from Node's http client (`code`) or fetch (`cause.code`, or each of an AggregateError's). */
function connectionCode(detail: unknown): string | undefined {
  const codeOf = (value: unknown): string | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    const { code, cause, errors } = value as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') return code;
    if (Array.isArray(errors)) {
      const codes = [...new Set(errors.map(codeOf))];
      if (codes.length === 1) return codes[0];
    }
    return codeOf(cause);
  };
  return codeOf(detail);
}

/** Removes the secret key, and anything shaped like a Stripe key, from a message. */
export function secretRedactor(secretKey: string): (text: string) => string {
  return (text) =>
    (secretKey ? text.split(secretKey).join('[redacted]') : text).replace(/\b(sk|rk)_(test|live)_[A-Za-z0-9*]+/g, '$1_$2_[redacted]');
}
