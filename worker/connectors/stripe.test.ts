import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ConnectorDeclinedError, ConnectorUnavailableError, type Connector } from './connector.js';
import { secretRedactor } from './stripe-errors.js';
import { createStripeConnector } from './stripe.js';

/**
 * The connector's state and error mapping against recorded Stripe responses (test/fixtures/stripe),
 * parsed by the real SDK through its own fetch client. What the requests look like to Stripe's
 * spec is the integration test's part (stripe-mock).
 */

const SECRET = 'sk_test_fixture_secret';
const KEY = 'pay_fixture/authorize/1';

type Reply = { status: number; fixture: string; headers?: Record<string, string> } | { fails: Error } | { hangs: true };

interface SentRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  body: URLSearchParams;
}

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/stripe/${name}.json`, import.meta.url), 'utf8');

/** A connector whose HTTP calls get the replies scripted per `METHOD /path`, in order; every request is recorded. */
function scripted(routes: Record<string, Reply | Reply[]>, options: { timeoutMs?: number } = {}) {
  const sent: SentRequest[] = [];
  const queues = new Map(Object.entries(routes).map(([route, replies]) => [route, Array.isArray(replies) ? [...replies] : [replies]]));
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers = new Headers(init?.headers);
    sent.push({
      method,
      path: url.pathname,
      idempotencyKey: headers.get('idempotency-key'),
      body: new URLSearchParams(String(init?.body ?? '')),
    });
    const queue = queues.get(`${method} ${url.pathname}`);
    // The last reply repeats, as Stripe's saved answer to a replayed key would.
    const reply = queue && (queue.length > 1 ? queue.shift() : queue[0]);
    if (!reply) throw new Error(`unscripted request ${method} ${url.pathname}`);
    if ('fails' in reply) throw reply.fails;
    if ('hangs' in reply)
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)));
    return new Response(fixture(reply.fixture), {
      status: reply.status,
      headers: { 'content-type': 'application/json', 'request-id': 'req_fixture', ...reply.headers },
    });
  };
  const connector = createStripeConnector({
    secretKey: SECRET,
    apiUrl: 'http://stripe.invalid:12111',
    timeoutMs: options.timeoutMs ?? 5_000,
    httpClient: Stripe.createFetchHttpClient(fakeFetch as typeof fetch),
  });
  return { connector, sent };
}

const ok = (name: string): Reply => ({ status: 200, fixture: name });
const authorizeRequest = {
  paymentId: 'pay_fixture',
  idempotencyKey: KEY,
  amount: 1000,
  currency: 'USD',
  paymentMethodToken: 'pm_card_visa',
};
const statusRequest = { paymentId: 'pay_fixture', idempotencyKey: KEY, amount: 1000, currency: 'USD' };

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain(SECRET);
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

/** A plain Error: the outcome is unknown, and Temporal retries with the same key. */
function expectUnknownOutcome(err: Error) {
  expect(err).not.toBeInstanceOf(ConnectorDeclinedError);
  expect(err).not.toBeInstanceOf(ConnectorUnavailableError);
}

describe('Stripe connector: authorize', () => {
  it('creates a manual-capture PaymentIntent, then confirms it, each with its own key derived from the attempt', async () => {
    const { connector, sent } = scripted({
      'POST /v1/payment_intents': ok('payment-intent.created'),
      'POST /v1/payment_intents/pi_fixture/confirm': ok('payment-intent.requires-capture'),
    });
    await expect(connector.authorize(authorizeRequest)).resolves.toEqual({ authorizationId: 'pi_fixture' });
    expect(sent.map((r) => [r.method, r.path, r.idempotencyKey])).toEqual([
      ['POST', '/v1/payment_intents', `${KEY}/create`],
      ['POST', '/v1/payment_intents/pi_fixture/confirm', `${KEY}/confirm`],
    ]);
    expect(Object.fromEntries(sent[0]!.body)).toEqual({
      amount: '1000',
      currency: 'usd',
      capture_method: 'manual',
      'allowed_payment_method_types[0]': 'card',
      'metadata[payment_id]': 'pay_fixture',
    });
    expect(Object.fromEntries(sent[1]!.body)).toEqual({ payment_method: 'pm_card_visa' });
  });

  it('refuses a payment without a payment method before calling Stripe', async () => {
    const { connector, sent } = scripted({});
    const err = await failure(connector.authorize({ ...authorizeRequest, paymentMethodToken: undefined }));
    expect(err).toBeInstanceOf(ConnectorDeclinedError);
    expect(err.message).toContain('data.paymentMethodToken');
    expect(sent).toEqual([]);
  });

  it.each([
    ['payment-intent.declined', 'stripe: payment declined (insufficient_funds): Your card has insufficient funds.'],
    ['payment-intent.canceled', 'stripe: payment declined: canceled'],
    // As stripe-mock answers every confirm.
    ['payment-intent.created', 'stripe: payment declined: requires_payment_method'],
    ['payment-intent.requires-action', /customer authentication/],
  ])('a confirmed PaymentIntent in %s is a decline', async (confirmed, message) => {
    const { connector } = scripted({
      'POST /v1/payment_intents': ok('payment-intent.created'),
      'POST /v1/payment_intents/pi_fixture/confirm': ok(confirmed),
    });
    const err = await failure(connector.authorize(authorizeRequest));
    expect(err).toBeInstanceOf(ConnectorDeclinedError);
    expect(err.message).toMatch(message);
  });

  it("a card error is a decline, told in Stripe's words", async () => {
    const { connector } = scripted({
      'POST /v1/payment_intents': ok('payment-intent.created'),
      'POST /v1/payment_intents/pi_fixture/confirm': { status: 402, fixture: 'error.card-declined' },
    });
    const err = await failure(connector.authorize(authorizeRequest));
    expect(err).toBeInstanceOf(ConnectorDeclinedError);
    expect(err.message).toBe('stripe: card_declined (generic_decline): Your card was declined.');
  });

  it('processing is read again: settled, it counts; still processing, the outcome is unknown', async () => {
    const settles = scripted({
      'POST /v1/payment_intents': ok('payment-intent.created'),
      'POST /v1/payment_intents/pi_fixture/confirm': ok('payment-intent.processing'),
      'GET /v1/payment_intents/pi_fixture': ok('payment-intent.requires-capture'),
    });
    await expect(settles.connector.authorize(authorizeRequest)).resolves.toEqual({ authorizationId: 'pi_fixture' });

    const pending = scripted({
      'POST /v1/payment_intents': ok('payment-intent.created'),
      'POST /v1/payment_intents/pi_fixture/confirm': ok('payment-intent.processing'),
      'GET /v1/payment_intents/pi_fixture': ok('payment-intent.processing'),
    });
    expectUnknownOutcome(await failure(pending.connector.authorize(authorizeRequest)));
  });
});

describe('Stripe connector: capture, void, refund', () => {
  it('captures with the step key, all or part of the authorization', async () => {
    const { connector, sent } = scripted({ 'POST /v1/payment_intents/pi_fixture/capture': ok('payment-intent.succeeded') });
    await connector.capture({ paymentId: 'pay_fixture', authorizationId: 'pi_fixture', idempotencyKey: 'pay_fixture/capture/1' });
    await connector.capture({
      paymentId: 'pay_fixture',
      authorizationId: 'pi_fixture',
      idempotencyKey: 'pay_fixture/capture/2',
      amount: 600,
    });
    expect(sent.map((r) => [r.idempotencyKey, Object.fromEntries(r.body)])).toEqual([
      ['pay_fixture/capture/1', {}],
      ['pay_fixture/capture/2', { amount_to_capture: '600' }],
    ]);
  });

  it('a PaymentIntent captured already is a capture done; one cancelled is a refusal', async () => {
    const request = { paymentId: 'pay_fixture', authorizationId: 'pi_fixture', idempotencyKey: 'pay_fixture/capture/1' };
    const captured = scripted({
      'POST /v1/payment_intents/pi_fixture/capture': { status: 400, fixture: 'error.unexpected-state-succeeded' },
    });
    await expect(captured.connector.capture(request)).resolves.toBeUndefined();
    const canceled = scripted({
      'POST /v1/payment_intents/pi_fixture/capture': { status: 400, fixture: 'error.unexpected-state-canceled' },
    });
    const err = await failure(canceled.connector.capture(request));
    expect(err).toBeInstanceOf(ConnectorDeclinedError);
    expect(err.message).toMatch(/^stripe: payment_intent_unexpected_state: .*status of canceled/);
  });

  it('voids by cancelling with the step key; cancelled already is success, captured is a refusal', async () => {
    const request = { paymentId: 'pay_fixture', authorizationId: 'pi_fixture', idempotencyKey: 'pay_fixture/void/1' };
    const { connector, sent } = scripted({ 'POST /v1/payment_intents/pi_fixture/cancel': ok('payment-intent.canceled') });
    await connector.void(request);
    expect(sent.map((r) => [r.path, r.idempotencyKey])).toEqual([['/v1/payment_intents/pi_fixture/cancel', 'pay_fixture/void/1']]);

    const again = scripted({ 'POST /v1/payment_intents/pi_fixture/cancel': { status: 400, fixture: 'error.unexpected-state-canceled' } });
    await expect(again.connector.void(request)).resolves.toBeUndefined();
    const captured = scripted({
      'POST /v1/payment_intents/pi_fixture/cancel': { status: 400, fixture: 'error.unexpected-state-succeeded' },
    });
    expect(await failure(captured.connector.void(request))).toBeInstanceOf(ConnectorDeclinedError);
  });

  it('refunds with the step key and our refund id; pending counts, failed is a decline', async () => {
    const request = {
      paymentId: 'pay_fixture',
      authorizationId: 'pi_fixture',
      refundId: 'ref_fixture',
      idempotencyKey: 'pay_fixture/refund/ref_fixture',
      amount: 400,
      currency: 'USD',
    };
    const { connector, sent } = scripted({
      'GET /v1/refunds': ok('refund-list.empty'),
      'POST /v1/refunds': [ok('refund.succeeded'), ok('refund.pending')],
    });
    await connector.refund(request);
    await connector.refund(request);
    // Each call first looks for a refund already made under this id (keys expire after 24 h).
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/refunds',
      'POST /v1/refunds',
      'GET /v1/refunds',
      'POST /v1/refunds',
    ]);
    const created = sent[1]!;
    expect(created.idempotencyKey).toBe('pay_fixture/refund/ref_fixture');
    expect(Object.fromEntries(created.body)).toEqual({
      payment_intent: 'pi_fixture',
      amount: '400',
      'metadata[refund_id]': 'ref_fixture',
    });

    const failed = scripted({ 'GET /v1/refunds': ok('refund-list.empty'), 'POST /v1/refunds': ok('refund.failed') });
    const err = await failure(failed.connector.refund(request));
    expect(err).toBeInstanceOf(ConnectorDeclinedError);
    expect(err.message).toBe('stripe: refund failed: expired_or_canceled_card');
  });
});

describe('Stripe connector: status', () => {
  it.each([
    ['payment-intent.requires-capture', { state: 'authorized', authorizationId: 'pi_fixture', amount: 1000, capturedAmount: null }],
    ['payment-intent.succeeded', { state: 'captured', authorizationId: 'pi_fixture', amount: 1000, capturedAmount: 600 }],
    ['payment-intent.canceled', { state: 'voided', authorizationId: 'pi_fixture', amount: 1000, capturedAmount: null }],
    ['payment-intent.created', { state: 'absent', authorizationId: 'pi_fixture' }],
    ['payment-intent.declined', { state: 'absent', authorizationId: 'pi_fixture' }],
    ['payment-intent.requires-confirmation', { state: 'absent', authorizationId: 'pi_fixture' }],
    ['payment-intent.requires-action', { state: 'absent', authorizationId: 'pi_fixture' }],
  ])('a PaymentIntent in %s reads as %o, by a GET alone when its id is known', async (current, expected) => {
    const { connector, sent } = scripted({ 'GET /v1/payment_intents/pi_fixture': ok(current) });
    await expect(connector.status({ ...statusRequest, authorizationId: 'pi_fixture' })).resolves.toEqual(expected);
    expect(sent.map((r) => r.method)).toEqual(['GET']);
  });

  it('processing is not known yet: it throws, to be asked again', async () => {
    const { connector } = scripted({ 'GET /v1/payment_intents/pi_fixture': ok('payment-intent.processing') });
    expectUnknownOutcome(await failure(connector.status({ ...statusRequest, authorizationId: 'pi_fixture' })));
  });

  it("without the id, replays the attempt's creation (same key, same parameters) and reads the current state after", async () => {
    const authorizing = scripted({
      'POST /v1/payment_intents': ok('payment-intent.created'),
      'POST /v1/payment_intents/pi_fixture/confirm': ok('payment-intent.requires-capture'),
    });
    await authorizing.connector.authorize(authorizeRequest);
    const { connector, sent } = scripted({
      // Stripe's replay answers with the snapshot of the creation; the GET sees what happened since.
      'POST /v1/payment_intents': ok('payment-intent.created'),
      'GET /v1/payment_intents/pi_fixture': ok('payment-intent.requires-capture'),
    });
    await expect(connector.status(statusRequest)).resolves.toMatchObject({ state: 'authorized', authorizationId: 'pi_fixture' });
    expect(sent.map((r) => [r.method, r.path, r.idempotencyKey])).toEqual([
      ['POST', '/v1/payment_intents', `${KEY}/create`],
      ['GET', '/v1/payment_intents/pi_fixture', null],
    ]);
    // Anything but the same parameters would be an idempotency error at Stripe.
    expect(sent[0]!.body.toString()).toBe(authorizing.sent[0]!.body.toString());
  });
});

describe('Stripe connector: errors', () => {
  const capture = (connector: Connector) =>
    connector.capture({ paymentId: 'pay_fixture', authorizationId: 'pi_fixture', idempotencyKey: 'pay_fixture/capture/1' });
  const answering = (status: number, name: string, headers?: Record<string, string>) =>
    scripted({ 'POST /v1/payment_intents/pi_fixture/capture': { status, fixture: name, headers } });
  const failing = (error: Error, timeoutMs?: number) =>
    scripted({ 'POST /v1/payment_intents/pi_fixture/capture': { fails: error } }, { timeoutMs });

  it.each([
    [400, 'error.invalid-request', /^stripe: 400 invalid_request_error: Request validation error/],
    [400, 'error.idempotency', /^stripe: 400 idempotency_error: Keys for idempotent requests/],
  ])('%i %s is a decline: Stripe answers it the same way every time', async (status, name, message) => {
    const err = await failure(capture(answering(status, name).connector));
    expect(err).toBeInstanceOf(ConnectorDeclinedError);
    expect(err.message).toMatch(message);
  });

  it.each([
    [429, 'error.rate-limit'],
    [401, 'error.authentication'],
    [403, 'error.invalid-request'],
  ])('%i (%s) was refused unprocessed: unavailable, safe to fail over', async (status, name) => {
    expect(await failure(capture(answering(status, name).connector))).toBeInstanceOf(ConnectorUnavailableError);
  });

  it.each([
    [500, 'error.api'],
    // The same key still in flight: the first request may yet succeed.
    [409, 'error.idempotency-key-in-use'],
  ])('%i (%s) is an unknown outcome', async (status, name) => {
    expectUnknownOutcome(await failure(capture(answering(status, name).connector)));
  });

  it("Temporal does the retrying: one request per call, even when Stripe's answer says to retry", async () => {
    const { connector, sent } = answering(500, 'error.api', { 'stripe-should-retry': 'true' });
    await failure(capture(connector));
    expect(sent).toHaveLength(1);
  });

  it('a connection refused is unavailable; a reset or a timeout is an unknown outcome', async () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(await failure(capture(failing(refused).connector))).toBeInstanceOf(ConnectorUnavailableError);

    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    expectUnknownOutcome(await failure(capture(failing(reset).connector)));

    const timedOut = await failure(
      capture(scripted({ 'POST /v1/payment_intents/pi_fixture/capture': { hangs: true } }, { timeoutMs: 200 }).connector),
    );
    expectUnknownOutcome(timedOut);
    expect(timedOut.message).toMatch(/timeout/);
  });

  it('never tells the secret key, even when what failed quotes it', async () => {
    const auth = await failure(capture(answering(401, 'error.authentication').connector));
    expect(auth.message).toBe('stripe: 401 invalid_request_error: Invalid API Key provided: sk_test_[redacted]');
    const redact = secretRedactor('whsec_not_key_shaped');
    expect(redact('key whsec_not_key_shaped and rk_live_abc123 and sk_test_****1234')).toBe(
      'key [redacted] and rk_live_[redacted] and sk_test_[redacted]',
    );
  });
});

describe('Stripe connector: found by the hostile review of issue 20', () => {
  const socketError = (code: string) => Object.assign(new Error(`${code} (socket)`), { code });

  it('a confirm reset after it was written is resent by the SDK; the resend refused is not "never sent" (the first may have authorized)', async () => {
    const { connector, sent } = scripted({
      'POST /v1/payment_intents': ok('payment-intent.created'),
      'POST /v1/payment_intents/pi_fixture/confirm': [{ fails: socketError('ECONNRESET') }, { fails: socketError('ECONNREFUSED') }],
    });
    const err = await failure(connector.authorize(authorizeRequest));
    // The SDK did resend the confirm, with the same key: the first one was on the wire.
    const confirms = sent.filter((r) => r.path.endsWith('/confirm')).map((r) => r.idempotencyKey);
    expect(confirms).toEqual([`${KEY}/confirm`, `${KEY}/confirm`]);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ConnectorUnavailableError);
  });

  it('a refund retried after Stripe forgot its key (24 h) finds the refund made under its id instead of refunding twice', async () => {
    const { connector, sent } = scripted({
      'GET /v1/refunds': [ok('refund-list.empty'), ok('refund-list.made')],
      'POST /v1/refunds': ok('refund.succeeded'),
    });
    const refund = {
      paymentId: 'pay_fixture',
      authorizationId: 'pi_fixture',
      refundId: 'ref_fixture',
      idempotencyKey: 'pay_fixture/refund:ref_fixture/1',
      amount: 400,
      currency: 'USD',
    };
    // The first call refunded but its answer was lost; the retry a day later repeats the same refund.
    await connector.refund(refund);
    await connector.refund(refund);
    expect(sent.filter((r) => r.method === 'POST' && r.path === '/v1/refunds')).toHaveLength(1);
  });
});
