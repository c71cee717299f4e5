import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ConnectorUnavailableError } from './connector.js';
import { createStripeConnector } from './stripe.js';

/**
 * Review of issue 20: "never sent" in stripe-errors.ts is judged from the last socket error only,
 * but the SDK resends a request once after ECONNRESET/EPIPE even with maxNetworkRetries: 0
 * (RequestSender._shouldRetry), and that first request may have been processed.
 */

const codeError = (code: string) => Object.assign(new Error(`${code} (socket)`), { code });

describe('review: Stripe connection errors after a resend', () => {
  it('regression (hostile review): confirm reset after it was written (ECONNRESET), the SDK resends it, the resend is refused (ECONNREFUSED): mapped to ConnectorUnavailableError, so the route fails over without settling an authorization Stripe may hold', async () => {
    const confirms: Array<string | null> = [];
    const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const path = new URL(String(input)).pathname;
      if (path === '/v1/payment_intents')
        return new Response(JSON.stringify({ id: 'pi_1', object: 'payment_intent', status: 'requires_confirmation' }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      confirms.push(new Headers(init?.headers).get('idempotency-key'));
      // The first confirm reached Stripe (which authorized), then the socket reset; the server then went away.
      throw codeError(confirms.length === 1 ? 'ECONNRESET' : 'ECONNREFUSED');
    };
    const connector = createStripeConnector({
      secretKey: 'sk_test_review',
      apiUrl: 'http://stripe.invalid:12111',
      timeoutMs: 5_000,
      httpClient: Stripe.createFetchHttpClient(fakeFetch as typeof fetch),
    });
    const err = await connector
      .authorize({
        paymentId: 'pay_1',
        idempotencyKey: 'pay_1/authorize/1',
        amount: 1000,
        currency: 'USD',
        paymentMethodToken: 'pm_card_visa',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // The SDK did resend the confirm, with the same key: the first one was on the wire.
    expect(confirms).toEqual(['pay_1/authorize/1/confirm', 'pay_1/authorize/1/confirm']);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ConnectorUnavailableError);
  });
});

describe('review: a Stripe refund retried after its idempotency key expired', () => {
  it('regression (hostile review): refundPayment is retried without limit (5 min apart); once Stripe forgets the key (24 h), the same refund id is sent as a new refund and Stripe refunds it twice (capture and void guard against this, refund does not)', async () => {
    // Stripe after 24 h: the key is unknown, so every create makes a new refund; the first one exists.
    const created: Array<Record<string, string>> = [];
    const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(String(input));
      const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
      const refundOf = (i: number) => ({
        id: `re_${i}`,
        object: 'refund',
        amount: 400,
        currency: 'usd',
        payment_intent: 'pi_1',
        status: 'succeeded',
        metadata: { refund_id: 'ref_1' },
      });
      if (init?.method === 'POST' && url.pathname === '/v1/refunds') {
        created.push(Object.fromEntries(new URLSearchParams(String(init.body))));
        return json(refundOf(created.length));
      }
      // A lookup of the PaymentIntent's refunds finds what was created.
      if (url.pathname === '/v1/refunds')
        return json({ object: 'list', data: created.map((_, i) => refundOf(i + 1)), has_more: false, url: '/v1/refunds' });
      throw new Error(`unscripted ${init?.method ?? 'GET'} ${url.pathname}`);
    };
    const connector = createStripeConnector({
      secretKey: 'sk_test_review',
      apiUrl: 'http://stripe.invalid:12111',
      timeoutMs: 5_000,
      httpClient: Stripe.createFetchHttpClient(fakeFetch as typeof fetch),
    });
    const refund = {
      paymentId: 'pay_1',
      authorizationId: 'pi_1',
      refundId: 'ref_1',
      idempotencyKey: 'pay_1/refund:ref_1/1',
      amount: 400,
      currency: 'USD',
    };
    // The first call refunded but its answer was lost; the retry a day later repeats the same refund.
    await connector.refund(refund);
    await connector.refund(refund);
    expect(created).toHaveLength(1);
  });
});
