import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Database } from '../../db/client.js';
import { projectPaymentState } from '../../db/projection.js';
import type { PaymentSnapshot, ProjectionEvent, WebhookDeliveryOutcome, WebhookMessageRef } from '../../common/workflow-api.js';
import { GatewayDeclinedError, type AuthorizeRequest, type Gateway } from '../gateway/gateway.js';
import { deliverWebhookMessage, type WebhookDeliveryConfig } from './webhook.js';

export interface ActivityDependencies {
  db: Database;
  gateway: Gateway;
  fetch: typeof fetch;
  webhooks: WebhookDeliveryConfig;
}

/** Activities close over their dependencies; the worker passes real ones, tests may pass fakes. */
export function createActivities({ db, gateway, fetch: fetchImpl, webhooks }: ActivityDependencies) {
  return {
    /** Returns the webhook messages the state change produced, for the workflow to deliver. */
    async projectPayment(snapshot: PaymentSnapshot, event: ProjectionEvent): Promise<WebhookMessageRef[]> {
      return (await projectPaymentState(db, snapshot, event)).messages;
    },

    async authorizePayment(request: Omit<AuthorizeRequest, 'signal'>): Promise<{ authorizationId: string }> {
      return asActivityFailure(() => gateway.authorize({ ...request, signal: Context.current().cancellationSignal }));
    },

    async capturePayment(request: { paymentId: string; authorizationId: string; scenario?: string }): Promise<void> {
      return asActivityFailure(() => gateway.capture(request));
    },

    async voidAuthorization(request: { paymentId: string; authorizationId: string }): Promise<void> {
      return gateway.void(request);
    },

    async deliverWebhookMessage(messageId: string): Promise<WebhookDeliveryOutcome> {
      return deliverWebhookMessage({ db, fetch: fetchImpl, config: webhooks }, messageId);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** A decline is final: tell Temporal not to retry it. */
async function asActivityFailure<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof GatewayDeclinedError) throw ApplicationFailure.nonRetryable(err.message, 'GatewayDeclined');
    throw err;
  }
}
