import Stripe from 'stripe';
import { ConnectorDeclinedError, type Connector, type ProcessorStatus, type StatusRequest } from './connector.js';
import { connectorError, secretRedactor } from './stripe-errors.js';

export interface StripeConnectorOptions {
  secretKey: string;
  /** STRIPE_API_URL: stripe-mock in tests and under `npm start`; Stripe itself when absent. */
  apiUrl?: string;
  /** Each call's limit; past it the outcome is unknown and Temporal retries with the same key. */
  timeoutMs: number;
  /** The SDK's transport; unit tests serve recorded responses through `Stripe.createFetchHttpClient`. */
  httpClient?: Stripe.HttpClient;
}

/**
 * A merchant's Stripe account as a connector: a PaymentIntent with manual capture per authorize
 * attempt, captured, cancelled (void) or refunded later. Every POST carries Stripe's
 * Idempotency-Key derived from the workflow's key, so a retried activity replays Stripe's saved
 * answer instead of acting twice.
 *
 * Authorize is two calls on purpose: creating the PaymentIntent moves no money, so `status` can
 * replay the creation with the same key to find the attempt's PaymentIntent (or make a harmless
 * empty one) without knowing its id.
 */
export function createStripeConnector(options: StripeConnectorOptions): Connector {
  const stripe = new Stripe(options.secretKey, {
    // Temporal retries, with the same key; the SDK's own retries would hide attempts from the log.
    // (It still resends once on a socket closed under it, with the same key: harmless.)
    maxNetworkRetries: 0,
    timeout: options.timeoutMs,
    telemetry: false,
    ...apiAddress(options.apiUrl),
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  });
  const redact = secretRedactor(options.secretKey);
  const call = async <T>(request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (err) {
      throw connectorError(err, redact);
    }
  };

  const createParams = (r: Pick<StatusRequest, 'paymentId' | 'amount' | 'currency'>): Stripe.PaymentIntentCreateParams => ({
    amount: r.amount,
    currency: r.currency.toLowerCase(),
    capture_method: 'manual',
    // Named `payment_method_types` before the SDK's pinned API version (2026-10-28), which renamed it.
    allowed_payment_method_types: ['card'],
    metadata: { payment_id: r.paymentId },
  });
  // The same parameters under the same key: Stripe answers a replay with the first answer (for 24 h).
  const createIntent = (r: Pick<StatusRequest, 'paymentId' | 'idempotencyKey' | 'amount' | 'currency'>) =>
    call(() => stripe.paymentIntents.create(createParams(r), { idempotencyKey: `${r.idempotencyKey}/create` }));

  return {
    kind: 'stripe',

    // `signal` is not passed on: the SDK takes none per request; `timeoutMs` bounds the call instead.
    async authorize(request) {
      if (!request.paymentMethodToken)
        throw new ConnectorDeclinedError('stripe: no payment method: the payment needs data.paymentMethodToken (e.g. pm_card_visa)');
      const created = await createIntent(request);
      let intent = await call(() =>
        stripe.paymentIntents.confirm(
          created.id,
          { payment_method: request.paymentMethodToken },
          { idempotencyKey: `${request.idempotencyKey}/confirm` },
        ),
      );
      // A replayed confirm repeats its first answer; `processing` may have settled since.
      if (intent.status === 'processing') intent = await call(() => stripe.paymentIntents.retrieve(created.id));
      return { authorizationId: authorizedIntent(intent) };
    },

    async capture({ authorizationId, amount, idempotencyKey }) {
      const intent = await call(async () => {
        try {
          return await stripe.paymentIntents.capture(authorizationId, amount === undefined ? {} : { amount_to_capture: amount }, {
            idempotencyKey,
          });
        } catch (err) {
          // Captured already (a retry after Stripe's key expired): what we asked for holds.
          if ((await stateAfterRefusal(stripe, err, authorizationId)) === 'succeeded') return undefined;
          throw err;
        }
      });
      if (intent && intent.status !== 'succeeded') throw new Error(`stripe: capture left ${intent.id} ${intent.status}`);
    },

    async void({ authorizationId, idempotencyKey }) {
      const intent = await call(async () => {
        try {
          return await stripe.paymentIntents.cancel(authorizationId, {}, { idempotencyKey });
        } catch (err) {
          // Cancelled already: nothing is held, which is all a void asks.
          if ((await stateAfterRefusal(stripe, err, authorizationId)) === 'canceled') return undefined;
          throw err;
        }
      });
      if (intent && intent.status !== 'canceled') throw new Error(`stripe: cancel left ${intent.id} ${intent.status}`);
    },

    async refund({ authorizationId, refundId, amount, idempotencyKey }) {
      // Stripe forgets an idempotency key after 24 h, and a refund is retried without limit: the refund
      // already made under this id is looked for first, so a late retry never refunds twice.
      const refund = await call(async () => {
        for await (const existing of stripe.refunds.list({ payment_intent: authorizationId, limit: 100 }))
          if (existing.metadata?.refund_id === refundId) return existing;
        return stripe.refunds.create({ payment_intent: authorizationId, amount, metadata: { refund_id: refundId } }, { idempotencyKey });
      });
      // `requires_action` is accepted too: some payment methods need the customer's details before the money moves.
      switch (refund.status) {
        case 'succeeded':
        case 'pending':
        case 'requires_action':
          return;
        case 'failed':
        case 'canceled':
          throw new ConnectorDeclinedError(`stripe: refund ${refund.status}${refund.failure_reason ? `: ${refund.failure_reason}` : ''}`);
        default:
          throw new Error(`stripe: refund ${refund.id} is ${refund.status}`);
      }
    },

    async status(request): Promise<ProcessorStatus> {
      // Without its id, the attempt's creation replayed names the PaymentIntent; its answer is a
      // snapshot from then, so the current state is read after.
      const id = request.authorizationId ?? (await createIntent(request)).id;
      return processorStatus(await call(() => stripe.paymentIntents.retrieve(id)));
    },
  };
}

/** The confirmed PaymentIntent's id when it holds the funds; otherwise why not, as our errors say it. */
function authorizedIntent(intent: Stripe.PaymentIntent): string {
  switch (intent.status) {
    case 'requires_capture':
      return intent.id;
    case 'requires_payment_method':
    case 'canceled': {
      const failure = intent.last_payment_error;
      const reason = failure?.decline_code ?? failure?.code;
      const detail = failure?.message ? `: ${failure.message}` : reason ? '' : `: ${intent.status}`;
      throw new ConnectorDeclinedError(`stripe: payment declined${reason ? ` (${reason})` : ''}${detail}`);
    }
    case 'requires_action':
      throw new ConnectorDeclinedError(
        'stripe: the card needs customer authentication (3-D Secure), which an unattended payment cannot give',
      );
    default:
      // processing, or a state this code does not know: the outcome is not known yet.
      throw new Error(`stripe: payment intent ${intent.id} is ${intent.status}`);
  }
}

/** Stripe's PaymentIntent lifecycle in our terms; `processing` is not known yet and throws (retried). */
export function processorStatus(intent: Stripe.PaymentIntent): ProcessorStatus {
  const held = { authorizationId: intent.id, amount: intent.amount };
  switch (intent.status) {
    case 'requires_capture':
      return { state: 'authorized', ...held, capturedAmount: null };
    case 'succeeded':
      return { state: 'captured', ...held, capturedAmount: intent.amount_received };
    case 'canceled':
      return { state: 'voided', ...held, capturedAmount: null };
    case 'requires_payment_method':
    case 'requires_confirmation':
    case 'requires_action':
      return { state: 'absent', authorizationId: intent.id };
    default:
      throw new Error(`stripe: payment intent ${intent.id} is ${intent.status}; its outcome is not known yet`);
  }
}

/**
 * When Stripe refused a call because the PaymentIntent is in another state, that state (from the
 * error, or read again); undefined for any other error.
 */
async function stateAfterRefusal(stripe: Stripe, err: unknown, id: string): Promise<string | undefined> {
  if (!(err instanceof Stripe.errors.StripeInvalidRequestError) || err.code !== 'payment_intent_unexpected_state') return undefined;
  return err.payment_intent?.status ?? (await stripe.paymentIntents.retrieve(id)).status;
}

/** The SDK's host, port and protocol from a URL such as http://127.0.0.1:12111 (stripe-mock). */
function apiAddress(apiUrl: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}
