import type { WebhookDeliveryOutcome } from '../../common/workflow-api.js';
import { deliverWebhookMessage } from './activity-proxies.js';

/** Redelivery, replay and test events: the given messages, one after another. */
export async function webhookDeliveryWorkflow(messageIds: string[]): Promise<WebhookDeliveryOutcome[]> {
  const outcomes: WebhookDeliveryOutcome[] = [];
  for (const id of messageIds) outcomes.push(await deliverWebhookMessage(id));
  return outcomes;
}
