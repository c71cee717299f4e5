import type { PaymentWorkflowResult } from '../../common/workflow-api.js';

/** What a batch of payments left behind after a fault, gathered from every place that records it. */
export interface BatchOutcome {
  ids: readonly string[];
  /** The read model's rows. */
  rows: ReadonlyArray<{ id: string; status: string; failureReason: string | null; compensated: boolean; webhookStatus: string | null }>;
  /** What each workflow returned (Temporal's word). */
  results: ReadonlyMap<string, PaymentWorkflowResult>;
  /** The gateway simulator's ledger rows for these payments. */
  ledger: ReadonlyArray<{ paymentId: string; status: string }>;
  /** Deliveries the receiver accepted. */
  webhooks: ReadonlyArray<{ paymentId: string; type: string; webhookId: string }>;
}

/**
 * Every way the batch can disagree with "nothing lost, one capture each, read model equal to the
 * workflows"; empty when it holds. Problems are listed, not thrown, so one failure names them all.
 */
export function batchProblems(outcome: BatchOutcome): string[] {
  const problems: string[] = [];
  const rows = new Map<string, BatchOutcome['rows'][number]>();
  for (const row of outcome.rows) {
    if (rows.has(row.id)) problems.push(`${row.id}: two read-model rows`);
    rows.set(row.id, row);
  }
  const charges = groupBy(outcome.ledger, (c) => c.paymentId);
  const hooks = groupBy(outcome.webhooks, (w) => w.paymentId);
  for (const id of outcome.ids) {
    const row = rows.get(id);
    const result = outcome.results.get(id);
    if (!result) problems.push(`${id}: no workflow result`);
    if (!row) problems.push(`${id}: no read-model row`);
    if (row && result) {
      for (const field of ['status', 'failureReason', 'compensated', 'webhookStatus'] as const) {
        if (row[field] !== result[field]) problems.push(`${id}: row ${field} ${String(row[field])} but workflow ${String(result[field])}`);
      }
    }
    if (result && result.status !== 'completed')
      problems.push(`${id}: ended ${result.status}${result.failureReason ? ` (${result.failureReason})` : ''}`);
    const captured = (charges.get(id) ?? []).filter((c) => c.status === 'captured').length;
    if (captured !== 1) problems.push(`${id}: ${captured} captures in the ledger`);
    const finals = new Set((hooks.get(id) ?? []).filter((w) => w.type === 'payment.completed').map((w) => w.webhookId));
    // A retried delivery keeps its webhook-id, so a receiver sees one message however often it comes.
    if (finals.size !== 1) problems.push(`${id}: ${finals.size} distinct payment.completed webhooks received`);
  }
  return problems;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
