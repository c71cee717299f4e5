import { ApplicationFailure, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../common/config.js';
import { createLogger } from '../common/logger.js';
import { INVALID_AMENDMENT_ERROR, NOT_AMENDABLE_ERROR } from '../common/workflow-api.js';
import type { Database } from '../db/client.js';
import { createContextInner } from './context.js';
import { openApiDocument } from './rest.js';
import type { PaymentChangeFeed } from './payment-changes.js';
import { appRouter } from './router.js';
import { createCallerFactory } from './trpc.js';

const PAYMENT_ID = 'pay_01JBZ0000000000000000000AA';

const untouchable = <T>(what: string) =>
  new Proxy(
    {},
    {
      get: (_t, prop) => {
        throw new Error(`${what}.${String(prop)} was used`);
      },
    },
  ) as T;

/** Any Drizzle chain, awaited, gives the scripted rows (a pending payment by default). */
function fakeDb(rows: unknown[] = [{ status: 'pending' }]) {
  const chain = (): unknown =>
    new Proxy(() => {}, { get: (_t, prop) => (prop === 'then' ? (resolve: (v: unknown) => void) => resolve(rows) : () => chain()) });
  return new Proxy({}, { get: () => () => chain() }) as Database;
}

/** A Temporal client whose workflow handle answers every update with `answer`, recording the options. */
function temporalAnswering(answer: () => Promise<unknown>) {
  const updates: Array<{ name: string; options: unknown }> = [];
  const handle = { executeUpdate: (def: { name: string }, options: unknown) => (updates.push({ name: def.name, options }), answer()) };
  const temporal = {
    workflow: { getHandle: () => handle },
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
  } as unknown as Client;
  return { temporal, updates };
}

function caller(deps: { db?: Database; temporal?: Client } = {}) {
  const ctx = createContextInner(
    {
      config: parseConfig({ NODE_ENV: 'test', ANONYMOUS_AS_DEMO: 'true' }),
      logger: createLogger({ LOG_LEVEL: 'error', NODE_ENV: 'test' }),
      changes: untouchable<PaymentChangeFeed>('changes'),
      db: deps.db ?? untouchable<Database>('db'),
      temporal: deps.temporal ?? untouchable<Client>('temporal'),
    },
    {},
  );
  return createCallerFactory(appRouter)(ctx).payments;
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => err as TRPCError,
  );

const refusedWith = (type: string, message: string) => () =>
  Promise.reject(new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type, message, nonRetryable: true })));

describe('payments.amend', () => {
  it('an empty amendment is a BAD_REQUEST before anything is read or sent', async () => {
    const err = await caught(caller().amend({ id: PAYMENT_ID }));
    expect(err?.code).toBe('BAD_REQUEST');
    expect(err?.message).toMatch(/^input: the amendment is empty; give at least one of amount, currency, delaySeconds/);
  });

  it('checks each field by the rules of create, naming it', async () => {
    for (const [input, field] of [
      [{ amount: 1.5 }, 'amount'],
      [{ currency: 'euro' }, 'currency'],
      [{ delaySeconds: -1 }, 'delaySeconds'],
      [{ webhookUrl: 'ftp://example.com/' }, 'webhookUrl'],
      [{ description: 'card 4242 4242 4242 4242' }, 'description'],
      [{ metadata: { 'a[b]': 'x' } }, 'metadata.a[b]'],
      [{ data: {} }, ''],
    ] as const) {
      const err = await caught(caller().amend({ id: PAYMENT_ID, ...input } as never));
      expect(err?.code, field).toBe('BAD_REQUEST');
      expect(
        (err!.cause as ZodError).issues.map((i) => i.path.join('.')),
        field,
      ).toEqual([field]);
    }
  });

  it('a payment no longer pending is a CONFLICT without asking Temporal', async () => {
    const err = await caught(caller({ db: fakeDb([{ status: 'processing' }]) }).amend({ id: PAYMENT_ID, amount: 5 }));
    expect(err?.code).toBe('CONFLICT');
    expect(err?.message).toBe('payment is processing; only a pending payment can be amended');
  });

  it('maps the validator: an invalid change is a BAD_REQUEST, a Go-contract payment a CONFLICT', async () => {
    const invalid = temporalAnswering(refusedWith(INVALID_AMENDMENT_ERROR, 'amount must be an integer'));
    const err = await caught(caller({ db: fakeDb(), temporal: invalid.temporal }).amend({ id: PAYMENT_ID, amount: 5 }));
    expect(invalid.updates.map((u) => u.name)).toEqual(['amend']);
    expect([err?.code, err?.message]).toEqual(['BAD_REQUEST', 'amount must be an integer']);

    const go = temporalAnswering(refusedWith(NOT_AMENDABLE_ERROR, 'a payment created through the Go-compatible door'));
    const conflict = await caught(caller({ db: fakeDb(), temporal: go.temporal }).amend({ id: PAYMENT_ID, amount: 5 }));
    expect(conflict?.code).toBe('CONFLICT');
  });

  it('sends only the given fields, currency in upper case, and derives the update id from an Idempotency-Key', async () => {
    const { temporal, updates } = temporalAnswering(() => Promise.resolve({}));
    // The payment read after the update is the fake row: its view is not what this test checks.
    await caught(caller({ db: fakeDb(), temporal }).amend({ id: PAYMENT_ID, currency: 'eur', webhookUrl: null, idempotencyKey: 'fix-1' }));
    expect(updates).toHaveLength(1);
    const options = updates[0]!.options as { args: unknown[]; updateId?: string };
    expect(options.args).toEqual([{ currency: 'EUR', webhookUrl: null }]);
    expect(options.updateId).toMatch(/^amend-[0-9a-f]{64}$/);
  });

  it('the OpenAPI document says what an empty amendment is: the PATCH body needs one amendable field', () => {
    const patch = (openApiDocument('http://localhost').paths?.['/api/v1/payments/{id}'] as Record<string, unknown>).patch as {
      requestBody: { required: boolean; content: { 'application/json': { schema: { anyOf?: unknown[] } } } };
      responses: Record<string, unknown>;
    };
    expect(patch.requestBody.required).toBe(true);
    expect(patch.requestBody.content['application/json'].schema.anyOf).toEqual(
      ['amount', 'currency', 'delaySeconds', 'webhookUrl', 'description', 'metadata'].map((field) => ({ required: [field] })),
    );
    expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '409']));
  });
});
