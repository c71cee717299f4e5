import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ConnectorRef } from '../../common/connector-route.js';
import { TERMINAL_STATUSES } from '../../common/payment.js';
import { paymentsFinished, projectionLag } from '../../common/metrics.js';
import type { Database } from '../../db/client.js';
import { deterministicDatabaseError } from '../../db/errors.js';
import { projectPaymentState } from '../../db/projection.js';
import {
  OWN_WEBHOOK_LANE,
  PROJECTION_REFUSED_ERROR,
  afterFirstAttempt,
  ownWebhookOutcome,
  stampedAt,
  type OwnWebhookAttempt,
  type OpenChargeInput,
  type RecordedWrite,
  type WriteOnSuccess,
  type PaymentSnapshot,
  type ProjectionEvent,
  type WebhookDeliveryOutcome,
  type WebhookMessageRef,
} from '../../common/workflow-api.js';
import { ConnectorBreakers } from '../connectors/breaker.js';
import type { Connector } from '../connectors/connector.js';
import { createConnectorDirectory, type ConnectorDirectoryOptions } from '../connectors/directory.js';
import { planRoute } from '../connectors/routing.js';
import { createConnectorActivities, type CaptureRequest } from './connector-calls.js';
import { announceNotice } from './notice-delivery.js';
import { createRefundActivities } from './refunds.js';
import { deliverWebhookMessage, firstWebhookAttempt, type WebhookDeliveryConfig } from './webhook.js';

/** Room kept in the capture's timeout for the own webhook attempt's statements (the pool bounds each at 5 s). */
const STATEMENTS_RESERVE_MS = 10_000;

export interface ActivityDependencies {
  db: Database;
  /** The built-in connector every merchant without accounts pays through (the simulator). */
  gateway: Connector;
  /** Processors a merchant's accounts may name, and how their credentials are opened. */
  processors?: ConnectorDirectoryOptions['processors'];
  openCredentials?: ConnectorDirectoryOptions['openCredentials'];
  /** How long an open circuit skips its connector (default 30 s). */
  breakerResetMs?: number;
  fetch: typeof fetch;
  webhooks: WebhookDeliveryConfig;
}

/** Activities close over their dependencies; the worker passes real ones, tests may pass fakes. */
export function createActivities({ db, gateway, fetch: fetchImpl, webhooks, ...options }: ActivityDependencies) {
  const connectors = createConnectorDirectory({
    db,
    simulator: gateway,
    processors: options.processors ?? {},
    openCredentials:
      options.openCredentials ??
      (() => {
        throw new Error('this worker has no key to open connector credentials (CONNECTOR_KEYS)');
      }),
  });
  const breakers = new ConnectorBreakers({ resetTimeoutMs: options.breakerResetMs ?? 30_000 });
  /** Writes one state change; returns the webhook messages it produced, for the workflow to deliver. */
  async function project(snapshot: PaymentSnapshot, event: ProjectionEvent): Promise<WebhookMessageRef[]> {
    let projected: Awaited<ReturnType<typeof projectPaymentState>>;
    try {
      projected = await projectPaymentState(db, snapshot, event);
    } catch (err) {
      const refused = deterministicDatabaseError(err);
      // Retrying would fail the same way for ever: the workflow ends the payment instead.
      if (refused)
        throw ApplicationFailure.nonRetryable(
          `the read model refused the payment (${refused.code}: ${refused.message})`,
          PROJECTION_REFUSED_ERROR,
        );
      throw err;
    }
    const { rowChanged, messages } = projected;
    if (rowChanged) {
      // A retried write changes nothing and is not counted twice.
      projectionLag.observe(Math.max(0, Date.now() - snapshot.updatedAt) / 1000);
      if (event.type === `payment.${snapshot.status}` && TERMINAL_STATUSES.includes(snapshot.status))
        paymentsFinished.inc({ status: snapshot.status });
    }
    Context.current().log.info('payment projected', {
      paymentId: snapshot.paymentId,
      merchantId: snapshot.merchantId,
      status: snapshot.status,
      version: snapshot.version,
      event: event.type,
    });
    return messages;
  }
  /**
   * The state change an activity's success makes, written by that activity. Never its failure: the
   * work is done (money captured, a webhook sent), so a write that fails (the database down, or
   * refusing it) leaves it to the workflow, which writes it as it writes every other state.
   */
  async function writeAfterSuccess({ snapshot, event }: WriteOnSuccess): Promise<RecordedWrite | undefined> {
    const stamped = stampedAt(snapshot, Date.now());
    try {
      return { updatedAt: stamped.updatedAt, messages: await project(stamped, event) };
    } catch (err) {
      Context.current().log.warn('state left to the workflow to write', {
        paymentId: snapshot.paymentId,
        event: event.type,
        error: String(err),
      });
      return undefined;
    }
  }
  const connectorActivities = createConnectorActivities({ db, connectors, breakers });
  const webhookDeps = { db, fetch: fetchImpl, config: webhooks };
  return {
    projectPayment: project,

    /**
     * A charge's opening in one local activity: its state changes written in order (`processing`,
     * preceded by `created` when the payment was due at once), then the route read. One activity
     * instead of two or three saves the workflow as many activations and history markers.
     */
    async openCharge({ writes, route }: OpenChargeInput): Promise<{ messages: WebhookMessageRef[]; connectors: ConnectorRef[] }> {
      const messages: WebhookMessageRef[] = [];
      for (const { snapshot, event } of writes) messages.push(...(await project(snapshot, event)));
      return { messages, connectors: await planRoute(db, route) };
    },

    /**
     * The last state of a payment whose projection was refused, written without the caller's own
     * fields (data, metadata, description: the likely cause), with a notice for the operator.
     */
    async recordRefusedPayment(snapshot: PaymentSnapshot, reason: string): Promise<WebhookMessageRef[]> {
      const sanitized: PaymentSnapshot = {
        ...snapshot,
        data: {},
        metadata: {},
        description: null,
        webhookUrl: null,
        webhookStatus: null,
        failureReason: reason,
      };
      let messages: WebhookMessageRef[] = [];
      try {
        ({ messages } = await projectPaymentState(db, sanitized, {
          type: `payment.${sanitized.status}` as ProjectionEvent['type'],
          details: { reason },
        }));
      } catch (err) {
        // Refused even without the caller's fields: the notice is all that can be recorded.
        const refused = deterministicDatabaseError(err);
        if (!refused) throw err;
        reason = `${reason}; the sanitized state was refused too (${refused.code}: ${refused.message})`;
      }
      if (snapshot.merchantId) {
        await announceNotice(db, {
          merchantId: snapshot.merchantId,
          type: 'payment.projection_refused',
          paymentId: snapshot.paymentId,
          detail: `payment ${snapshot.paymentId}: ${reason}`,
          send: true,
        });
      }
      Context.current().log.error('payment projection refused', { paymentId: snapshot.paymentId, reason });
      return messages;
    },

    /**
     * One message's delivery (see `deliverWebhookMessage`). The payment's own webhook also writes its
     * final outcome on the payment, at the version the workflow handed over (`own`); a retry of an
     * attempt that settled the message answers its outcome instead of sending again, so a write
     * repeated after a lost completion agrees with the first.
     */
    async deliverWebhookMessage(messageId: string, own?: { snapshot: PaymentSnapshot; after?: number }): Promise<WebhookDeliveryOutcome> {
      const outcome = await deliverWebhookMessage(webhookDeps, messageId, { once: own !== undefined, after: own?.after });
      if (!own) return outcome;
      const { change, event } = ownWebhookOutcome(messageId, outcome);
      const recorded = await writeAfterSuccess({ snapshot: { ...own.snapshot, ...change }, event });
      return recorded ? { ...outcome, recorded } : outcome;
    },

    ...connectorActivities,

    /**
     * The capture; with `completes` (an automatic capture), the payment's `completed` state written
     * with it, and with `notifies` too, the first attempt at the payment's own webhook made at once.
     */
    async capturePayment({
      completes,
      notifies,
      ...request
    }: CaptureRequest & { completes?: WriteOnSuccess; notifies?: boolean }): Promise<{
      recorded?: RecordedWrite;
      ownWebhook?: OwnWebhookAttempt;
    }> {
      const started = Date.now();
      const activity = Context.current();
      // Heartbeats let Temporal notice a dead worker within the heartbeat timeout, webhook attempt included.
      const beating = setInterval(() => activity.heartbeat(), 2_000);
      try {
        await connectorActivities.capturePayment(request);
        const recorded = completes && (await writeAfterSuccess(completes));
        if (!recorded) return {};
        const own = notifies ? recorded.messages.find((m) => m.lane === OWN_WEBHOOK_LANE) : undefined;
        // Made only when the whole attempt, its statements included, fits in this activity's timeout: a
        // capture timed out would run again while its attempt went on. Never shortened: a slow receiver
        // cut off early would be sent the message again at once.
        const left = activity.info.startToCloseTimeoutMs - (Date.now() - started);
        if (!own || left < webhooks.timeoutMs + STATEMENTS_RESERVE_MS) return { recorded };
        const attempted = await firstWebhookAttempt(webhookDeps, own.id);
        return attempted ? afterFirstAttempt(completes.snapshot, recorded, own.id, attempted, writeAfterSuccess) : { recorded };
      } finally {
        clearInterval(beating);
      }
    },

    ...createRefundActivities({ db, connectors, breakers }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
