import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { ConnectorDeclinedError, type AuthorizeRequest, type Connector } from '../connectors/connector.js';
import { createActivities } from './index.js';

const quiet = { logger: new DefaultLogger('ERROR') };

/**
 * Connector calls reach the database only to log the attempt (db.execute); any other use throws.
 * `attempts` holds each logged attempt's parameters.
 */
function activitiesWith(gateway: Partial<Connector>) {
  const unused = () => {
    throw new Error('this test must not reach it');
  };
  const attempts: unknown[][] = [];
  const dialect = new PgDialect();
  const db = new Proxy(
    {},
    {
      get: (_target, prop) => {
        if (prop !== 'execute') return unused();
        return async (query: SQL) => void attempts.push(dialect.sqlToQuery(query).params);
      },
    },
  );
  const activities = createActivities({
    db: db as unknown as Database,
    gateway: { kind: 'simulator', authorize: unused, capture: unused, void: unused, refund: unused, status: unused, ...gateway },
    fetch: unused as unknown as typeof fetch,
    webhooks: { schedule: [0], timeoutMs: 1000, disableAfterMs: 60_000 },
  });
  return Object.assign(activities, { attempts });
}

const request = { paymentId: 'pay_1', amount: 1234, currency: 'EUR' };

describe('gateway activities', () => {
  it('authorize hands the activity cancellation to the gateway, so a cancel ends the call at once', async () => {
    const seen: AuthorizeRequest[] = [];
    const { authorizePayment } = activitiesWith({
      authorize: (req) => {
        seen.push(req);
        // Like a real client: the request ends when the signal aborts, never otherwise.
        return new Promise((_resolve, reject) => req.signal?.addEventListener('abort', () => reject(new Error('request aborted'))));
      },
    });
    const env = new MockActivityEnvironment({}, quiet);
    const running = env.run(authorizePayment, request);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatchObject(request);
    expect(seen[0]!.signal?.aborted).toBe(false);
    const started = Date.now();
    env.cancel();
    // The gateway's own abort error ends the attempt; the worker reports the activity as cancelled.
    await expect(running).rejects.toThrow('request aborted');
    expect(seen[0]!.signal?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a decline is final: a non-retryable GatewayDeclined failure with the gateway message, logged as declined', async () => {
    const { authorizePayment, attempts } = activitiesWith({
      authorize: async () => {
        throw new ConnectorDeclinedError('card declined by issuer');
      },
    });
    const failure = await new MockActivityEnvironment({}, quiet).run(authorizePayment, request).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'GatewayDeclined', nonRetryable: true, message: 'card declined by issuer' });
    // payment, payment (merchant lookup), merchant fallback, step, route attempt, account, connector, key, outcome, latency, error
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toEqual(
      expect.arrayContaining(['pay_1', 'authorize', 1, null, 'simulator', 'pay_1/authorize/1', 'declined', 'card declined by issuer']),
    );
  });

  it('any other gateway error is left as it is, so Temporal retries it', async () => {
    const outage = new Error('gateway temporarily unavailable');
    const { capturePayment } = activitiesWith({
      capture: async () => {
        throw outage;
      },
    });
    await expect(
      new MockActivityEnvironment({}, quiet).run(capturePayment, { paymentId: 'pay_1', authorizationId: 'auth_1' }),
    ).rejects.toBe(outage);
  });

  it('capture and void pass the authorization through unchanged, each with its own idempotency key', async () => {
    const calls: unknown[] = [];
    const { capturePayment, voidAuthorization } = activitiesWith({
      capture: async (req) => void calls.push(['capture', req]),
      void: async (req) => void calls.push(['void', req]),
    });
    const env = new MockActivityEnvironment({}, quiet);
    await env.run(capturePayment, { paymentId: 'pay_1', authorizationId: 'auth_1', scenario: 'x' });
    await env.run(voidAuthorization, { paymentId: 'pay_1', authorizationId: 'auth_1' });
    expect(calls).toEqual([
      ['capture', { paymentId: 'pay_1', authorizationId: 'auth_1', scenario: 'x', idempotencyKey: 'pay_1/capture/1' }],
      ['void', { paymentId: 'pay_1', authorizationId: 'auth_1', idempotencyKey: 'pay_1/void/1' }],
    ]);
  });
});
