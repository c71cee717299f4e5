import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Database } from '../../db/client.js';
import { projectPaymentState } from '../../db/projection.js';
import type { PaymentSnapshot, ProjectionEvent } from '../../common/workflow-api.js';
import { GatewayDeclinedError, type AuthorizeRequest, type Gateway } from '../gateway/gateway.js';
import { deliverWebhookOnce, type WebhookRequest } from './webhook.js';

export interface ActivityDependencies {
  db: Database;
  gateway: Gateway;
  fetch: typeof fetch;
}

/** Activities close over their dependencies; the worker passes real ones, tests may pass fakes. */
export function createActivities({ db, gateway, fetch: fetchImpl }: ActivityDependencies) {
  return {
    async projectPayment(snapshot: PaymentSnapshot, event: ProjectionEvent): Promise<void> {
      await projectPaymentState(db, snapshot, event);
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

    async deliverWebhook(request: WebhookRequest) {
      return deliverWebhookOnce(fetchImpl, request);
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
