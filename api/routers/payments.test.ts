import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { NOT_PENDING_ERROR } from '../../common/workflow-api.js';
import type { Database } from '../../db/client.js';
import { createContextInner } from '../context.js';
import type { PaymentChangeFeed } from '../payment-changes.js';
import { appRouter } from '../router.js';
import { listPaymentsInput } from './payments.js';
import { createCallerFactory } from '../trpc.js';

const PAYMENT_ID = 'pay_01JBZ0000000000000000000AA';

/** Anything a test does not expect to be used: touching it fails the test. */
const untouchable = <T>(what: string) =>
  new Proxy(
    {},
    {
      get: (_t, prop) => {
        throw new Error(`${what}.${String(prop)} was used`);
      },
    },
  ) as T;

/** Drizzle's builder reduced to what a read needs: any chain, awaited, gives the scripted rows. */
function fakeDb(rows: unknown[]) {
  const queries: string[] = [];
  const chain = (): unknown =>
    new Proxy(() => {}, {
      get: (_t, prop) => (prop === 'then' ? (resolve: (v: unknown) => void) => resolve(rows) : () => chain()),
    });
  const db = new Proxy({}, { get: (_t, prop) => () => (queries.push(String(prop)), chain()) }) as Database;
  return { db, queries };
}

function callerWith(deps: { db?: Database; temporal?: Client; env?: Record<string, string>; apiKey?: string } = {}) {
  const config = parseConfig({ NODE_ENV: 'test', ANONYMOUS_AS_DEMO: 'true', ...deps.env });
  const ctx = createContextInner(
    {
      config,
      logger: createLogger({ LOG_LEVEL: 'error', NODE_ENV: 'test' }),
      changes: untouchable<PaymentChangeFeed>('changes'),
      db: deps.db ?? untouchable<Database>('db'),
      temporal: deps.temporal ?? untouchable<Client>('temporal'),
    },
    { apiKey: deps.apiKey },
  );
  return createCallerFactory(appRouter)(ctx);
}

/** A Temporal client whose one workflow handle answers every update with `answer`. */
function temporalAnswering(answer: () => Promise<unknown>) {
  const updates: string[] = [];
  const handle = { executeUpdate: (def: { name: string }) => (updates.push(def.name), answer()) };
  const temporal = {
    workflow: { getHandle: () => handle },
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
  } as unknown as Client;
  return { temporal, updates };
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => err as TRPCError,
  );

describe('payments router through createCaller', () => {
  it('refuses an invalid create before any database or workflow is touched, naming the field', async () => {
    const err = await caught(callerWith().payments.create({ amount: -5, currency: 'EUR' } as never));
    expect(err).toBeInstanceOf(TRPCError);
    expect(err?.code).toBe('BAD_REQUEST');
    expect(err?.cause).toBeInstanceOf(ZodError);
    expect((err!.cause as ZodError).issues.map((i) => i.path.join('.'))).toEqual(['amount']);
  });

  it('a malformed id is a BAD_REQUEST on id; a well-formed unknown one is NOT_FOUND', async () => {
    const malformed = await caught(callerWith().payments.get({ id: '9b2f2c1e-uuid' }));
    expect(malformed?.code).toBe('BAD_REQUEST');
    expect((malformed!.cause as ZodError).issues[0]?.path).toEqual(['id']);

    const { db, queries } = fakeDb([]);
    const unknown = await caught(callerWith({ db }).payments.get({ id: PAYMENT_ID }));
    expect(unknown?.code).toBe('NOT_FOUND');
    expect(unknown?.message).toBe(`no payment with id ${PAYMENT_ID}`);
    expect(queries).toEqual(['select']);
  });

  it('without a key (and no demo fallback) is UNAUTHORIZED before the input is judged', async () => {
    const err = await caught(callerWith({ env: { ANONYMOUS_AS_DEMO: 'false' } }).payments.create({ amount: -5 } as never));
    expect(err?.code).toBe('UNAUTHORIZED');
    expect(err?.message).toMatch(/an API key is required/);
  });

  it('cancel of a payment that is no longer pending is a CONFLICT without asking Temporal', async () => {
    const { db } = fakeDb([{ status: 'completed' }]);
    const err = await caught(callerWith({ db }).payments.cancel({ id: PAYMENT_ID }));
    expect(err?.code).toBe('CONFLICT');
    expect(err?.message).toBe('payment is completed; only a pending payment can be canceled');
  });

  it('the workflow refusing the update (it moved on meanwhile) is a CONFLICT with its reason', async () => {
    const { db } = fakeDb([{ status: 'pending' }]);
    const refusal = ApplicationFailure.create({
      type: NOT_PENDING_ERROR,
      message: 'payment is processing; only a pending payment can be canceled',
      nonRetryable: true,
    });
    const { temporal, updates } = temporalAnswering(() => Promise.reject(new WorkflowUpdateFailedError('update failed', refusal)));
    const err = await caught(callerWith({ db, temporal }).payments.cancel({ id: PAYMENT_ID, reason: 'customer asked' }));
    expect(updates).toEqual(['cancel']);
    expect(err?.code).toBe('CONFLICT');
    expect(err?.message).toBe('payment is processing; only a pending payment can be canceled');
  });

  it('a workflow that already finished answers from the projection: CONFLICT with its state', async () => {
    let reads = 0;
    const rows = () => (++reads === 1 ? [{ status: 'pending' }] : [{ status: 'failed' }]);
    const chain = (): unknown =>
      new Proxy(() => {}, { get: (_t, prop) => (prop === 'then' ? (resolve: (v: unknown) => void) => resolve(rows()) : () => chain()) });
    const db = { select: () => chain() } as unknown as Database;
    const { temporal } = temporalAnswering(() =>
      Promise.reject(new WorkflowNotFoundError('workflow execution already completed', PAYMENT_ID, undefined)),
    );
    const err = await caught(callerWith({ db, temporal }).payments.processNow({ id: PAYMENT_ID }));
    expect(err?.code).toBe('CONFLICT');
    expect(err?.message).toBe('payment is failed; only a pending payment can be processed early');
  });

  describe('Idempotency-Key: the body is hashed in canonical JSON', () => {
    /** Creates with a key against a store that already holds it for another body: returns the hash the request got. */
    async function hashOf(body: Record<string, unknown>): Promise<string> {
      const inserted: Array<{ requestHash?: string }> = [];
      const chain = (): unknown =>
        new Proxy(() => {}, {
          get: (_t, prop) =>
            prop === 'then'
              ? (resolve: (v: unknown) => void) => resolve([{ paymentId: PAYMENT_ID, requestHash: 'stored-for-another-body' }])
              : prop === 'values'
                ? (values: { requestHash?: string }) => (inserted.push(values), chain())
                : () => chain(),
        });
      const db = new Proxy({}, { get: () => () => chain() }) as Database;
      const err = await caught(
        callerWith({ db }).payments.create({ amount: 500, currency: 'USD', idempotencyKey: 'order-17', ...body } as never),
      );
      // Refused before Temporal is asked (the temporal stand-in would throw otherwise).
      expect(err?.code).toBe('CONFLICT');
      expect(err?.message).toMatch(/^Idempotency-Key "order-17" was already used with a different request body/);
      expect(inserted).toHaveLength(1);
      return inserted[0]!.requestHash!;
    }

    it('the same body in any key order hashes the same; any other value does not', async () => {
      const a = await hashOf({
        data: { cart: [{ sku: 'A', qty: 1 }], note: { b: 2, a: 1 } },
        metadata: { orderId: 'A-17', channel: 'web' },
      });
      const reordered = await hashOf({
        metadata: { channel: 'web', orderId: 'A-17' },
        data: { note: { a: 1, b: 2 }, cart: [{ qty: 1, sku: 'A' }] },
      });
      const otherValue = await hashOf({
        data: { cart: [{ sku: 'A', qty: 2 }], note: { b: 2, a: 1 } },
        metadata: { orderId: 'A-17', channel: 'web' },
      });
      const otherOrderOfArray = await hashOf({ data: { cart: [1, 2] } });
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(reordered).toBe(a);
      expect(otherValue).not.toBe(a);
      // Arrays keep their order: [1, 2] and [2, 1] are different requests.
      expect(await hashOf({ data: { cart: [2, 1] } })).not.toBe(otherOrderOfArray);
    });
  });

  it('blank search text filters nothing (the schema allows it); other text is trimmed', () => {
    // schemathesis sent `search=%0D` (length 1, valid by the schema) and got a 400.
    expect(listPaymentsInput.parse({ search: '\r', q: ' \t ' })).toMatchObject({ search: undefined, q: undefined });
    expect(listPaymentsInput.parse({ search: ' R-1 ', q: ' pay_01 ' })).toMatchObject({ search: 'R-1', q: 'pay_01' });
  });
});
