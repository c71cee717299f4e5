import type { Client } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import { TERMINAL_STATUSES } from '../common/payment.js';
import { PAYMENT_WORKFLOW_TYPE } from '../common/workflow-api.js';
import type { Database } from '../db/client.js';
import { payments } from '../db/schema.js';

export interface Disagreement {
  paymentId: string;
  problem: 'workflow without row' | 'closed workflow, row not final' | 'row final, workflow failed or terminated';
  workflowStatus: string;
  rowStatus: string | null;
}

/**
 * Compares every payment workflow Temporal knows (in visibility) with the read model: a workflow
 * without its row, or a closed workflow whose row still says pending or processing, means a write
 * was lost or refused. A running workflow whose row is final is normal (webhooks still retrying).
 * Rows whose workflow left retention cannot be checked and are not reported.
 */
export async function reconcilePayments(
  deps: { db: Database; temporal: Client },
  options: { taskQueue?: string; batch?: number } = {},
): Promise<{ checked: number; disagreements: Disagreement[] }> {
  const query = [
    `WorkflowType = '${PAYMENT_WORKFLOW_TYPE}'`,
    options.taskQueue ? `TaskQueue = '${options.taskQueue.replace(/'/g, '')}'` : '',
  ]
    .filter(Boolean)
    .join(' AND ');
  const disagreements: Disagreement[] = [];
  let checked = 0;
  let page: Array<{ workflowId: string; status: string }> = [];
  const flush = async () => {
    if (!page.length) return;
    const rows = await deps.db
      .select({ id: payments.id, status: payments.status })
      .from(payments)
      .where(
        inArray(
          payments.id,
          page.map((w) => w.workflowId),
        ),
      );
    const byId = new Map(rows.map((r) => [r.id, r.status]));
    for (const { workflowId, status } of page) {
      const row = byId.get(workflowId) ?? null;
      if (row === null)
        disagreements.push({ paymentId: workflowId, problem: 'workflow without row', workflowStatus: status, rowStatus: null });
      else if (status !== 'RUNNING' && !TERMINAL_STATUSES.includes(row)) {
        disagreements.push({ paymentId: workflowId, problem: 'closed workflow, row not final', workflowStatus: status, rowStatus: row });
      }
    }
    checked += page.length;
    page = [];
  };
  for await (const workflow of deps.temporal.workflow.list({ query })) {
    page.push({ workflowId: workflow.workflowId, status: workflow.status.name });
    if (page.length >= (options.batch ?? 500)) await flush();
  }
  await flush();
  return { checked, disagreements };
}
