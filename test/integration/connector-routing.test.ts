import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createPaymentsClient } from '../../client/index.js';
import { ulid } from '../../common/ulid.js';
import { connectorAccounts, simulatorCharges } from '../../db/schema.js';
import { createConnectorDirectory } from '../../worker/connectors/directory.js';
import { reconcileWithProcessors } from '../../worker/connectors/processor-reconcile.js';
import { createSimulatorConnector } from '../../worker/connectors/simulator.js';
import { startTestSystem, waitFor, type TestSystem } from '../harness.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
}, 120_000);
afterAll(async () => {
  await system?.stop();
});

/** A merchant of its own: its accounts route only its payments, never another test file's. */
async function merchantWith(accounts: Array<Partial<typeof connectorAccounts.$inferInsert> & { label: string }>) {
  const merchant = await createMerchant(system.database.db, `Routing ${ulid()}`);
  const ids: string[] = [];
  for (const [position, account] of accounts.entries()) {
    const id = `ca_${ulid()}`;
    ids.push(id);
    await system.database.db.insert(connectorAccounts).values({ id, merchantId: merchant.id, kind: 'simulator', position, ...account });
  }
  return { api: createPaymentsClient({ url: system.apiUrl, apiKey: merchant.apiKey.key }), ids };
}

async function settled(api: ReturnType<typeof createPaymentsClient>, id: string) {
  await waitFor(async () => ['completed', 'failed'].includes((await api.payments.get.query({ id })).status), `${id} to settle`);
  return api.payments.get.query({ id });
}

describe('routing to connector accounts (real Temporal, real Postgres, the simulator as connector)', () => {
  it('without accounts the built-in simulator takes the payment; its attempts are listed with latency', async () => {
    const { api } = await merchantWith([]);
    const { id } = await api.payments.create.mutate({ amount: 1000, currency: 'USD', delaySeconds: 0 });
    const payment = await settled(api, id);
    expect(payment).toMatchObject({ status: 'completed', connector: 'simulator', connectorAccountId: null });
    const attempts = await api.payments.attempts.query({ id });
    expect(attempts.map((a) => [a.step, a.routeAttempt, a.connector, a.connectorAccountId, a.outcome])).toEqual([
      ['authorize', 1, 'simulator', null, 'succeeded'],
      ['capture', 1, 'simulator', null, 'succeeded'],
    ]);
    expect(attempts.every((a) => a.latencyMs >= 0 && a.error === null)).toBe(true);
  });

  it("follows the merchant's order and rules: a payment goes to the first account whose rules it meets", async () => {
    const { api, ids } = await merchantWith([
      { label: 'euros only', currencies: ['EUR'] },
      { label: 'small amounts', maxAmount: 5_000 },
      { label: 'anything' },
    ]);
    const euros = await api.payments.create.mutate({ amount: 9_000, currency: 'EUR', delaySeconds: 0 });
    const small = await api.payments.create.mutate({ amount: 4_000, currency: 'USD', delaySeconds: 0 });
    const large = await api.payments.create.mutate({ amount: 9_000, currency: 'USD', delaySeconds: 0 });
    expect((await settled(api, euros.id)).connectorAccountId).toBe(ids[0]);
    expect((await settled(api, small.id)).connectorAccountId).toBe(ids[1]);
    expect((await settled(api, large.id)).connectorAccountId).toBe(ids[2]);
    // The simulator's ledger holds each payment once, captured, under the account's first attempt.
    for (const p of [euros, small, large]) {
      const ledger = await system.database.db.select().from(simulatorCharges).where(eq(simulatorCharges.paymentId, p.id));
      expect(ledger.map((l) => l.status)).toEqual(['captured']);
    }
  });

  it('no account accepting the payment fails it with the reason, and no connector is called', async () => {
    const { api } = await merchantWith([{ label: 'euros only', currencies: ['EUR'] }]);
    const { id } = await api.payments.create.mutate({ amount: 1000, currency: 'USD', delaySeconds: 0 });
    const payment = await settled(api, id);
    expect(payment.status).toBe('failed');
    expect(payment.failureReason).toMatch(/no connector of the merchant accepts this payment/);
    expect(await api.payments.attempts.query({ id })).toEqual([]);
  });

  it('a decline at the first account is final: no second account is asked', async () => {
    const { api, ids } = await merchantWith([{ label: 'first' }, { label: 'second' }]);
    const { id } = await api.payments.create.mutate({ amount: 1000, currency: 'USD', delaySeconds: 0, data: { simulate: 'decline' } });
    expect((await settled(api, id)).status).toBe('failed');
    const attempts = await api.payments.attempts.query({ id });
    expect(attempts.map((a) => [a.connectorAccountId, a.outcome])).toEqual([[ids[0], 'declined']]);
  });

  it('a removed account no longer routes; refunds of a payment it took still go to it', async () => {
    const { api, ids } = await merchantWith([{ label: 'first' }, { label: 'second' }]);
    const before = await api.payments.create.mutate({ amount: 1000, currency: 'USD', delaySeconds: 0 });
    expect((await settled(api, before.id)).connectorAccountId).toBe(ids[0]);
    await system.database.db.update(connectorAccounts).set({ removedAt: new Date() }).where(eq(connectorAccounts.id, ids[0]!));
    const after = await api.payments.create.mutate({ amount: 1000, currency: 'USD', delaySeconds: 0 });
    expect((await settled(api, after.id)).connectorAccountId).toBe(ids[1]);
    await api.payments.refund.mutate({ id: before.id, amount: 400 });
    const refundCalls = async () => (await api.payments.attempts.query({ id: before.id })).filter((a) => a.step === 'refund');
    await waitFor(async () => (await refundCalls()).length > 0, 'the refund call');
    const refundAttempts = await refundCalls();
    expect(refundAttempts.map((a) => [a.connectorAccountId, a.outcome])).toEqual([[ids[0], 'succeeded']]);
  });

  it('reconciliation asks each processor what it holds: agreement, then a capture the processor lost is reported', async () => {
    const { api } = await merchantWith([{ label: 'reconciled' }]);
    const ok = await api.payments.create.mutate({ amount: 1000, currency: 'USD', delaySeconds: 0 });
    const lost = await api.payments.create.mutate({ amount: 2000, currency: 'USD', delaySeconds: 0 });
    const declined = await api.payments.create.mutate({
      amount: 3000,
      currency: 'USD',
      delaySeconds: 0,
      data: { simulate: 'capture_fail' },
    });
    for (const p of [ok, lost, declined]) await settled(api, p.id);
    const db = system.database.db;
    const connectors = createConnectorDirectory({
      db,
      simulator: createSimulatorConnector({ db }),
      processors: {},
      openCredentials: () => ({}),
    });
    const mine = async () => {
      const { disagreements } = await reconcileWithProcessors({ db, connectors }, { since: new Date(Date.now() - 60_000), limit: 10_000 });
      return disagreements.filter((d) => [ok.id, lost.id, declined.id].includes(d.paymentId));
    };
    expect(await mine()).toEqual([]);
    // The processor voided what we recorded as captured.
    await db.update(simulatorCharges).set({ status: 'voided' }).where(eq(simulatorCharges.paymentId, lost.id));
    expect(await mine()).toEqual([
      expect.objectContaining({ paymentId: lost.id, status: 'completed', processor: 'voided', expected: 'captured' }),
    ]);
  });

  it('counts calls per connector account in the metrics', async () => {
    const { api, ids } = await merchantWith([{ label: 'metered' }]);
    const { id } = await api.payments.create.mutate({ amount: 1000, currency: 'USD', delaySeconds: 0 });
    await settled(api, id);
    const metrics = await (await fetch(`${system.apiUrl}/metrics`)).text();
    // The API and the worker share the test process, so one registry has both.
    expect(metrics).toMatch(
      new RegExp(`gateway_calls_total\\{connector="simulator",account="${ids[0]}",operation="authorize",outcome="succeeded"\\} 1`),
    );
    expect(metrics).toMatch(
      new RegExp(
        `connector_call_duration_seconds_count\\{connector="simulator",account="${ids[0]}",operation="capture",outcome="succeeded"\\} 1`,
      ),
    );
  });
});
