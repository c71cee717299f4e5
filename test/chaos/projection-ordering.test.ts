import fc from 'fast-check';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { initialSnapshot, type PaymentSnapshot } from '../../common/workflow-api.js';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { projectPaymentState } from '../../db/projection.js';
import { paymentEvents, payments } from '../../db/schema.js';
import { scaled } from './scale.js';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await connectDatabase(inject('databaseUrl'), 20);
});
afterAll(() => database?.close());

function snapshot(id: string, version: number): PaymentSnapshot {
  const base = initialSnapshot(
    {
      paymentId: id,
      merchantId: 'mer_demo',
      paymentMethodId: null,
      reference: paymentReference(id),
      amount: 1,
      currency: 'EUR',
      delaySeconds: 0,
      webhookUrl: null,
      data: {},
      description: null,
      createdAt: paymentCreatedAt(id),
    },
    'run',
  );
  return { ...base, version, updatedAt: base.createdAt + version, failureReason: `v${version}` };
}

describe('projection ordering (property-based)', () => {
  // A second unique index on payments once made the losing insert of such a race fail instead of
  // updating: `on conflict (id)` only arbitrates the primary key.
  it('concurrent first writes of a new payment all succeed', async () => {
    for (let round = 0; round < 300; round++) {
      const id = newPaymentId();
      const outcomes = await Promise.allSettled(
        [1, 2].map((v) => projectPaymentState(database.db, snapshot(id, v), { type: 'payment.processing', details: { v } })),
      );
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    }
  });

  it('any order, any duplicates, applied concurrently: the row ends at the highest version and each version is in the timeline once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        async (versions, concurrent) => {
          const id = newPaymentId();
          const write = (v: number) => projectPaymentState(database.db, snapshot(id, v), { type: 'payment.processing', details: { v } });
          if (concurrent) await Promise.all(versions.map(write));
          else for (const v of versions) await write(v);
          const [row] = await database.db.select().from(payments).where(eq(payments.id, id));
          const timeline = await database.db
            .select({ version: paymentEvents.version })
            .from(paymentEvents)
            .where(eq(paymentEvents.paymentId, id));
          expect(row!.version).toBe(Math.max(...versions));
          expect(row!.failureReason).toBe(`v${Math.max(...versions)}`);
          expect(timeline.map((e) => e.version).sort((a, b) => a - b)).toEqual([...new Set(versions)].sort((a, b) => a - b));
        },
      ),
      { numRuns: scaled(25, 300) },
    );
  });
});
