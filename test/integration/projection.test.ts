import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { OWN_WEBHOOK_LANE, initialSnapshot, type PaymentSnapshot, type ProjectionEvent } from '../../common/workflow-api.js';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';
import { projectPaymentState } from '../../db/projection.js';
import { merchants, paymentEvents, payments, webhookEndpoints, webhookMessages } from '../../db/schema.js';
import { webhookMessageId } from '../../db/webhook-messages.js';

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
    { type: version === 1 ? 'payment.created' : (`payment.${status}` as ProjectionEvent['type']), details: { v: version } },
  ];
}

const project = (id: string, version: number) => projectPaymentState(database.db, ...snapshotAt(id, version));
const row = async (id: string) => (await database.db.select().from(payments).where(eq(payments.id, id)))[0]!;
const timeline = (id: string) =>
  database.db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, id)).orderBy(paymentEvents.version);

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

describe('webhook messages enqueued by the projection', () => {
  const merchantId = `mer_projection_${Date.now()}`;
  beforeAll(async () => {
    await database.db.insert(merchants).values({ id: merchantId, name: 'projection test' });
    await database.db.insert(webhookEndpoints).values([
      { id: `we_all_${merchantId}`, merchantId, url: 'https://all.example/hook', secret: 'whsec_x' },
      { id: `we_done_${merchantId}`, merchantId, url: 'https://done.example/hook', secret: 'whsec_x', eventTypes: ['payment.completed'] },
      { id: `we_off_${merchantId}`, merchantId, url: 'https://off.example/hook', secret: 'whsec_x', enabled: false },
    ]);
  });

  const completed = (id: string): [PaymentSnapshot, ProjectionEvent] => {
    const [s] = snapshotAt(id, 3);
    return [
      { ...s, merchantId, webhookUrl: 'https://own.example/hook' },
      { type: 'payment.completed', details: {} },
    ];
  };

  it('one message per subscribed, enabled endpoint plus the own webhookUrl on the final event, ids as webhookMessageId', async () => {
    const id = newPaymentId();
    const { messages } = await projectPaymentState(database.db, ...completed(id));
    const expected = [`we_all_${merchantId}`, `we_done_${merchantId}`, OWN_WEBHOOK_LANE].map((lane) => ({
      id: webhookMessageId(id, 3, lane),
      lane,
    }));
    expect([...messages].sort((a, b) => a.lane.localeCompare(b.lane))).toEqual(expected.sort((a, b) => a.lane.localeCompare(b.lane)));
    const rows = await database.db.select().from(webhookMessages).where(eq(webhookMessages.paymentId, id));
    expect(rows.map((r) => r.url).sort()).toEqual(['https://all.example/hook', 'https://done.example/hook', 'https://own.example/hook']);
    expect(rows[0]!.payload).toMatchObject({ type: 'payment.completed', payment_id: id, sequence: 3 });
  });

  it('a retried projection returns the same messages and enqueues nothing twice', async () => {
    const id = newPaymentId();
    const first = await projectPaymentState(database.db, ...completed(id));
    const again = await projectPaymentState(database.db, ...completed(id));
    expect(again.rowChanged).toBe(false);
    expect(new Set(again.messages.map((m) => m.id))).toEqual(new Set(first.messages.map((m) => m.id)));
    expect(await database.db.select().from(webhookMessages).where(eq(webhookMessages.paymentId, id))).toHaveLength(3);
  });

  it('a non-final event reaches only the endpoints that want it, never the own webhookUrl', async () => {
    const id = newPaymentId();
    const [s] = completed(id);
    const { messages } = await projectPaymentState(
      database.db,
      { ...s, status: 'processing', version: 2 },
      { type: 'payment.processing', details: {} },
    );
    expect(messages).toEqual([{ id: webhookMessageId(id, 2, `we_all_${merchantId}`), lane: `we_all_${merchantId}` }]);
  });
});
