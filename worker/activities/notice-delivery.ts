import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE } from '../../common/workflow-api.js';
import type { Database } from '../../db/client.js';
import { recordNotice, type Notice } from '../../db/notices.js';
import type { webhookDeliveryWorkflow } from '../workflows/index.js';

/**
 * Records a notice (with its feed entry and messages, db/notices.ts) from inside an activity and
 * starts the delivery of each message through the Worker's own client, each on its own workflow
 * so one slow receiver does not hold up the others. The workflow id is the message's, itself
 * derived from the event, so starting twice is refused by Temporal rather than sent twice.
 */
export async function announceNotice(db: Database, notice: Notice): Promise<void> {
  const { messageIds } = await recordNotice(db, notice);
  if (messageIds.length === 0) return;
  const context = Context.current();
  for (const id of messageIds) {
    try {
      await context.client.workflow.start<typeof webhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
        workflowId: `deliver-${id}`,
        taskQueue: context.info.taskQueue,
        args: [[id]],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
}
