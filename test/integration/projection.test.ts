import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { initialSnapshot, type PaymentSnapshot, type ProjectionEvent } from '../../common/workflow-api.js';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { projectPaymentState } from '../../db/projection.js';
import { paymentEvents, payments } from '../../db/schema.js';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await connectDatabase(inject('databaseUrl'), 20);
});
afterAll(() => database?.close());

function snapshotAt(id: string, version: number): [PaymentSnapshot, ProjectionEvent] {
  const base = initialSnapshot(
    {
      paymentId: id,
      merchantId: 'mer_demo',
      paymentMethodId: null,
      reference: paymentReference(id),
      amount: 100,
      currency: 'USD',
      delaySeconds: 0,
      webhookUrl: null,
      data: { n: 1 },
      description: null,
      createdAt: paymentCreatedAt(id),
    },
    'run-1',
  );
  const status = version >= 3 ? 'completed' : version === 2 ? 'processing' : 'pending';
  return [
    { ...base, version, status, updatedAt: base.createdAt + version * 1000, failureReason: `v${version}` },
    { type: version === 1 ? 'payment.created' : `payment.${status}` as ProjectionEvent['type'], details: { v: version } },
  ];
}

const project = (id: string, version: number) => projectPaymentState(database.db, ...snapshotAt(id, version));
const row = async (id: string) => (await database.db.select().from(payments).where(eq(payments.id, id)))[0]!;
const timeline = (id: string) => database.db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, id)).orderBy(paymentEvents.version);

describe('versioned projection', () => {
  it('applying the same write twice changes nothing', async () => {
    const id = newPaymentId();
    await project(id, 1);
    await project(id, 2);
    const before = { row: await row(id), events: await timeline(id) };
    const again = await project(id, 2);
    expect(again.rowChanged).toBe(false);
    expect(await row(id)).toEqual(before.row);
    expect(await timeline(id)).toEqual(before.events);
  });

  it('an older write after a newer one leaves the row at the newer version (v5, v3, v5 → v5)', async () => {
    const id = newPaymentId();
    await project(id, 5);
    const afterNewest = await row(id);
    expect((await project(id, 3)).rowChanged).toBe(false);
    expect((await project(id, 5)).rowChanged).toBe(false);
    expect(await row(id)).toEqual(afterNewest);
    expect(afterNewest).toMatchObject({ version: 5, status: 'completed', failureReason: 'v5' });
    // The late v3 still belongs in the timeline, once.
    expect((await timeline(id)).map((e) => e.version)).toEqual([3, 5]);
  });

  it('50 concurrent writes of versions 1–50, shuffled and duplicated, end at 50 without errors', async () => {
    const id = newPaymentId();
    const versions = Array.from({ length: 50 }, (_, i) => i + 1);
    const shuffled = [...versions, ...versions.slice(0, 10)].sort(() => Math.random() - 0.5);
    await Promise.all(shuffled.map((v) => project(id, v)));
    expect((await row(id)).version).toBe(50);
    expect((await timeline(id)).map((e) => e.version)).toEqual(versions);
  });
});
