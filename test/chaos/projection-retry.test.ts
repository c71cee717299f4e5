import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentEvents, payments } from '../../db/schema.js';
import { startTestSystem, type TestSystem } from '../harness.js';

let system: TestSystem;
const calls = new Map<string, number>();

beforeAll(async () => {
  system = await startTestSystem({
    wrapActivities: (activities) => ({
      ...activities,
      // The charge's opening (versions 1 and 2) commits, then the activity overruns its 20 s timeout and is retried.
      async openCharge(input) {
        const { snapshot } = input.writes.at(-1)!;
        const key = `${snapshot.paymentId}:${snapshot.version}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        const opened = await activities.openCharge(input);
        if (snapshot.version === 2 && calls.get(key) === 1) await new Promise((r) => setTimeout(r, 21_000));
        return opened;
      },
    }),
  });
});
afterAll(() => system?.stop());

describe('projection retried after its write committed', () => {
  it('leaves the row and the timeline as one write would', { timeout: 90_000 }, async () => {
    const created = await system.trpc.payments.create.mutate({ amount: 300, currency: 'EUR', delaySeconds: 0 });
    await system.temporal.workflow.getHandle(created.id).result();
    expect(calls.get(`${created.id}:2`)).toBe(2);
    const [row] = await system.database.db.select().from(payments).where(eq(payments.id, created.id));
    expect(row).toMatchObject({ status: 'completed', version: 3 });
    const timeline = await system.database.db
      .select()
      .from(paymentEvents)
      .where(eq(paymentEvents.paymentId, created.id))
      .orderBy(paymentEvents.version);
    expect(timeline.map((e) => [e.version, e.type])).toEqual([
      [1, 'payment.created'],
      [2, 'payment.processing'],
      [3, 'payment.completed'],
    ]);
  });
});
