import type { Pool } from 'pg';
import { PAYMENTS_QUEUE, type BenchEnvironment } from '../environment.js';
import { closedLoop, firstTrue, openLoad, repeatFor } from '../load.js';
import { createPayment, type RunLedger } from '../payments.js';
import { alternate } from '../alternate.js';
import { percentile, ratioOfMedians, round } from '../stats.js';

/**
 * 4. Read model: list-by-status (a page of 50) and get-by-id through our API, over the demo
 * merchant's payments plus `rows` synthetic ones, against the same listing through Temporal
 * visibility (ListWorkflowExecutions, as the earlier Go system listed), all under a steady stream of
 * new payments. Then freshness: a payment's final state → the moment each listing shows it.
 */
export async function measureReadModel(
  env: BenchEnvironment,
  ledger: RunLedger,
  plan: { rows: number; readSeconds: number; reps: number; freshnessSamples: number },
  bareTopRate: number,
) {
  const seeded = await seedSyntheticPayments(env.database.pool, plan.rows);
  const { rows: sample } = await env.database.pool.query<{ id: string }>(
    `select id from payments where data ? 'synthetic' order by random() limit 500`,
  );
  const ids = sample.map((r) => r.id);

  const ok = async (res: Response) => {
    if (res.status !== 200) throw new Error(`read answered ${res.status}`);
    await res.arrayBuffer();
  };
  const list = () => fetch(`${env.apiUrl}/api/v1/payments?status=completed&limit=50`).then(ok);
  const get = () => fetch(`${env.apiUrl}/api/v1/payments/${ids[Math.floor(Math.random() * ids.length)]}`).then(ok);
  const visibilityQuery = `TaskQueue="${PAYMENTS_QUEUE}" AND ExecutionStatus="Completed"`;
  const visibility = () =>
    env.temporal.workflowService.listWorkflowExecutions({ namespace: 'default', pageSize: 50, query: visibilityQuery });

  const writeRate = round(bareTopRate * 0.25, 1);
  const loadSeconds = plan.reps * 3 * plan.readSeconds + plan.freshnessSamples * 2 + 5;
  const writes = openLoad(writeRate, loadSeconds, () =>
    createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url }),
  );

  const p99Of = (read: () => Promise<unknown>) => async () => percentile(await repeatFor(plan.readSeconds * 1000, read), 99);
  const p99 = await alternate({ visibility: p99Of(visibility), list: p99Of(list), get: p99Of(get) }, { reps: plan.reps });
  const freshness = await measureFreshness(env, ledger, plan.freshnessSamples);
  const writeLoad = await writes;
  return {
    syntheticRows: seeded,
    writeLoadPerSecond: writeRate,
    writeErrors: writeLoad.errors,
    listP99Ratio: ratioOfMedians(p99.list, p99.visibility),
    getP99Ratio: ratioOfMedians(p99.get, p99.visibility),
    p99Ms: {
      list: p99.list.map((v) => round(v, 1)),
      get: p99.get.map((v) => round(v, 1)),
      visibility: p99.visibility.map((v) => round(v, 1)),
    },
    freshness,
  };
}

/**
 * Bulk rows straight into the read model, with the change trigger off so no listener drowns, in
 * chunks that each stay within the pool's statement timeout.
 */
export async function seedSyntheticPayments(pool: Pool, rows: number): Promise<number> {
  const chunk = 25_000;
  let inserted = 0;
  for (let from = 1; from <= rows; from += chunk) {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('set local session_replication_role = replica');
      const { rowCount } = await client.query(
        `insert into payments (id, merchant_id, reference, amount, currency, status, delay_seconds, scheduled_at, data, version, created_at, updated_at, completed_at, compensated)
         select 'pay_01' || upper(substr(md5(g::text), 1, 24)), 'mer_demo', 'PAY-' || upper(substr(md5(g::text), 13, 12)), 100, 'EUR',
                (array['completed','completed','completed','completed','completed','completed','completed','pending','failed','canceled'])[1 + g % 10],
                0, now(), '{"synthetic": true}', 3, now() - interval '1 day', now(), now(), false
         from generate_series($1::int, $2::int) g`,
        [from, Math.min(rows, from + chunk - 1)],
      );
      await client.query('commit');
      inserted += rowCount ?? 0;
    } finally {
      client.release();
    }
  }
  await pool.query('analyze payments');
  return inserted;
}

/** Final state → visible in each listing, for payments created one after another. */
async function measureFreshness(env: BenchEnvironment, ledger: RunLedger, samples: number) {
  const ours: number[] = [];
  const visibility: number[] = [];
  await closedLoop(samples, 1, async () => {
    const id = await createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url });
    const [seenInList, seenInVisibility] = await Promise.all([
      firstTrue(async () => {
        const res = await fetch(`${env.apiUrl}/api/v1/payments?status=completed&search=${id}&limit=50`);
        return ((await res.json()) as { items: Array<{ id: string }> }).items.some((p) => p.id === id);
      }, 30_000),
      firstTrue(async () => {
        const page = await env.temporal.workflowService.listWorkflowExecutions({
          namespace: 'default',
          pageSize: 50,
          query: `WorkflowId="${id}" AND ExecutionStatus="Completed"`,
        });
        return page.executions.length > 0;
      }, 30_000),
    ]);
    const payment = (await (await fetch(`${env.apiUrl}/api/v1/payments/${id}`)).json()) as { completedAt: string };
    const finalAt = Date.parse(payment.completedAt);
    if (seenInList === undefined || seenInVisibility === undefined) throw new Error(`freshness: ${id} never listed as completed`);
    ours.push(seenInList - finalAt);
    visibility.push(seenInVisibility - finalAt);
  });
  return {
    samples,
    oursP99Ms: round(percentile(ours, 99), 1),
    visibilityP99Ms: round(percentile(visibility, 99), 1),
    met: percentile(ours, 99) <= percentile(visibility, 99),
  };
}
