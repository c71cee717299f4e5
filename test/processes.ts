import { inArray, sql } from 'drizzle-orm';
import { inject } from 'vitest';
import type { Database } from '../db/client.js';
import { payments, simulatorCharges } from '../db/schema.js';
import { waitFor } from './process-group.js';

export { ProcessGroup, ensureBuilt } from './process-group.js';

/**
 * Environment for built processes on the test services: a task queue of their own (so no other
 * test's worker takes their work), the demo merchant, no rate limit in the way.
 */
export function processEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `processes-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    ANONYMOUS_AS_DEMO: 'true',
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  };
}

export async function createPayments(
  api: string,
  count: number,
  make: (i: number) => Record<string, unknown>,
  concurrency = 10,
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(concurrency, count - start) }, async (_, j) => {
        const res = await fetch(`${api}/api/v1/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(make(start + j)),
        });
        if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
        return ((await res.json()) as { id: string }).id;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

/** Waits until every payment is final; returns the counts by status. */
export async function waitAllFinal(db: Database, ids: string[], timeoutMs: number) {
  const counts = () =>
    db
      .select({ status: payments.status, n: sql<number>`count(*)::int` })
      .from(payments)
      .where(inArray(payments.id, ids))
      .groupBy(payments.status);
  await waitFor(
    async () => {
      const rows = await counts();
      return rows.reduce((s, r) => s + (['completed', 'failed', 'canceled'].includes(r.status) ? r.n : 0), 0) === ids.length;
    },
    `${ids.length} payments to finish`,
    timeoutMs,
  );
  return Object.fromEntries((await counts()).map((r) => [r.status, r.n]));
}

/** The simulator's ledger for these payments: status → count (one row per payment by its key). */
export async function ledgerOf(db: Database, ids: string[]) {
  const rows = await db
    .select({ status: simulatorCharges.status, n: sql<number>`count(*)::int` })
    .from(simulatorCharges)
    .where(inArray(simulatorCharges.paymentId, ids))
    .groupBy(simulatorCharges.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
