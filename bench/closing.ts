import { PAYMENTS_QUEUE, type BenchEnvironment } from './environment.js';
import { firstTrue } from './load.js';
import type { RunLedger } from './payments.js';

/**
 * How Temporal's own load tests end a run: as many workflows as rows in the read model as payments
 * created, every expected webhook received, nothing failed. A run that fails this reports no figures.
 */
export async function closingCheck(env: BenchEnvironment, ledger: RunLedger) {
  const count = async (query: string) =>
    Number((await env.temporal.workflowService.countWorkflowExecutions({ namespace: 'default', query })).count);
  const rows = async () =>
    Number(
      (await env.database.pool.query(`select count(*)::int as n from payments where merchant_id = 'mer_demo' and not data ? 'synthetic'`))
        .rows[0].n,
    );
  const created = ledger.created.size;
  // Visibility and the read model both settle a moment after the last write.
  await firstTrue(async () => (await count(`TaskQueue="${PAYMENTS_QUEUE}"`)) === created && (await rows()) === created, 60_000, 250);
  await firstTrue(async () => [...ledger.withWebhook].every((id) => env.sink.received.has(id)), 60_000, 250);
  const failedRows = Number(
    (
      await env.database.pool.query(
        `select count(*)::int as n from payments where merchant_id = 'mer_demo' and status = 'failed' and not data ? 'synthetic'`,
      )
    ).rows[0].n,
  );
  const result = {
    paymentsCreated: created,
    workflows: await count(`TaskQueue="${PAYMENTS_QUEUE}"`),
    readModelRows: await rows(),
    webhooksExpected: ledger.withWebhook.size,
    webhooksReceived: [...ledger.withWebhook].filter((id) => env.sink.received.has(id)).length,
    failedWorkflows: await count(`TaskQueue="${PAYMENTS_QUEUE}" AND ExecutionStatus="Failed"`),
    failedPayments: failedRows,
  };
  const passed =
    result.workflows === created &&
    result.readModelRows === created &&
    result.webhooksReceived === result.webhooksExpected &&
    result.failedWorkflows === 0 &&
    result.failedPayments === 0;
  return { ...result, passed };
}
