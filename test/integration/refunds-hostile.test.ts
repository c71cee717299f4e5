/**
 * Hostile review of issue 19: the gateway executes a refund but its answer is lost (a timeout or a
 * connection reset). The refund must stay `pending` and be retried (the gateway refunds idempotently by
 * refund id) rather than be marked `failed`, which made the amount refundable again: paid twice.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorRefunds } from '../../db/schema.js';
import { createSimulatorConnector } from '../../worker/connectors/simulator.js';
import { startTestSystem, waitFor, type TestSystem, restCaller } from '../harness.js';

let system: TestSystem;
/** The first refund of each payment: the network loses its first LOST answers (the refund itself is done at the gateway). */
const firstRefundOf = new Map<string, string>();
/** One more than the old limit of 4 attempts, which then marked the refund failed. */
const LOST = 4;
const lostAnswers = new Map<string, number>();

beforeAll(async () => {
  system = await startTestSystem({
    gateway: ({ db }) => {
      const simulator = createSimulatorConnector({ db });
      return {
        ...simulator,
        async refund(request) {
          await simulator.refund(request);
          if (!firstRefundOf.has(request.paymentId)) firstRefundOf.set(request.paymentId, request.refundId);
          const lost = lostAnswers.get(request.refundId) ?? 0;
          if (firstRefundOf.get(request.paymentId) === request.refundId && lost < LOST) {
            lostAnswers.set(request.refundId, lost + 1);
            throw new Error('socket hang up (the refund went through, its answer was lost)');
          }
        },
      };
    },
  });
});
afterAll(async () => {
  await system?.stop();
});

const call: ReturnType<typeof restCaller> = (...args) => restCaller(system.apiUrl)(...args);

describe('a refund whose gateway answer is lost', () => {
  it('stays pending while the answers are lost, then succeeds; the customer never gets back more than was captured', async () => {
    const created = await call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0 });
    const id = created.body.id as string;
    await system.temporal.workflow.getHandle(id).result();
    const first = await call('POST', `/api/v1/payments/${id}/refunds`, { amount: 1000 });
    expect(first.status, first.text).toBe(201);
    // While its outcome is unknown the amount stays reserved: a second refund is refused.
    await waitFor(async () => (lostAnswers.get(first.body.id) ?? 0) >= 1, 'first answer lost', 20_000);
    const again = await call('POST', `/api/v1/payments/${id}/refunds`, { amount: 1000 });
    expect(again.status, again.text).toBe(409);
    const settled = await waitFor(
      async () => {
        const list = (await call('GET', `/api/v1/payments/${id}/refunds`)).body as Array<{ id: string; status: string }>;
        return list[0]?.status !== 'pending' && list[0];
      },
      'first refund settled',
      45_000,
    );
    expect(settled).toMatchObject({ id: first.body.id, status: 'succeeded' });
    expect(lostAnswers.get(first.body.id)).toBe(LOST);
    const rows = await system.database.db.select().from(simulatorRefunds).where(eq(simulatorRefunds.paymentId, id));
    const atGateway = rows.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
    expect(atGateway).toBe(1000);
  }, 90_000);
});
