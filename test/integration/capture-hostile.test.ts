/**
 * Regression (issue 19 review): the gateway takes a manual capture but its first answers are lost, more
 * of them than the old attempt limit (5). The workflow used to "void" the authorization and report the
 * payment `failed` while the money was taken; now it keeps retrying until the gateway answers.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorCharges } from '../../db/schema.js';
import { createSimulatorConnector } from '../../worker/connectors/simulator.js';
import { startTestSystem, waitFor, type TestSystem, restCaller } from '../harness.js';

let system: TestSystem;
let lostAnswers = 0;

beforeAll(async () => {
  system = await startTestSystem({
    gateway: ({ db }) => {
      const simulator = createSimulatorConnector({ db });
      return {
        ...simulator,
        async capture(request) {
          await simulator.capture(request);
          lostAnswers += 1;
          if (lostAnswers <= 5) throw new Error('socket hang up (the capture went through, its answer was lost)');
        },
      };
    },
  });
});
afterAll(async () => {
  await system?.stop();
});

const call: ReturnType<typeof restCaller> = (...args) => restCaller(system.apiUrl)(...args);

describe('a manual capture whose gateway answers are lost', () => {
  it('money taken at the gateway is never reported as a failed payment: the capture retries until answered', async () => {
    const created = await call('POST', '/api/v1/payments', { amount: 800, currency: 'EUR', delaySeconds: 0, captureMethod: 'manual' });
    const id = created.body.id as string;
    await waitFor(async () => (await call('GET', `/api/v1/payments/${id}`)).body.status === 'requires_capture', 'requires_capture');
    const capture = await call('POST', `/api/v1/payments/${id}/capture`, { amount: 500 });
    const final = await waitFor(
      async () => {
        const p = (await call('GET', `/api/v1/payments/${id}`)).body;
        return !['requires_capture', 'processing'].includes(p.status) && p;
      },
      'final state',
      75_000,
    );
    const [charge] = await system.database.db.select().from(simulatorCharges).where(eq(simulatorCharges.paymentId, id));
    expect([200, 504]).toContain(capture.status);
    expect(charge?.status).toBe('captured');
    expect(final.status, 'the gateway holds a capture of 500').toBe('completed');
    expect(lostAnswers).toBeGreaterThan(5);
  }, 90_000);
});
