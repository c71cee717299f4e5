import { ApplicationFailure } from '@temporalio/activity';
import {
  OWN_WEBHOOK_LANE,
  PROJECTION_REFUSED_ERROR,
  afterFirstAttempt,
  ownWebhookOutcome,
  stampedAt,
  type PaymentSnapshot,
  type ProjectionEvent,
  type WebhookDeliveryOutcome,
  type WebhookMessageRef,
  type WriteOnSuccess,
} from '../../common/workflow-api.js';
import type { RefundablePayment, RefundState } from '../../common/refund-api.js';
import type { Activities } from '../../worker/activities/index.js';
import type { AuthorizeInput } from '../../worker/activities/connector-calls.js';
import { BUILT_IN_SIMULATOR, type ConnectorRef, type RouteStep } from '../../common/connector-route.js';

export type ActivityName = keyof Activities;

export interface ActivityCall {
  name: ActivityName;
  args: unknown[];
}

export interface FakeActivityScript {
  /** Throw to fail the call (an ApplicationFailure.nonRetryable for a final answer); `attempt` counts calls. */
  authorize?: (attempt: number, request: AuthorizeInput) => void | Promise<void>;
  /** The merchant's route (default: the built-in simulator alone). */
  route?: () => ConnectorRef[];
  /** Settling an abandoned attempt (default: proven absent). */
  settle?: (route: RouteStep) => 'absent' | 'voided' | Promise<'absent' | 'voided'>;
  capture?: (attempt: number) => void | Promise<void>;
  /** Awaited by a projection before it answers (e.g. to make one slow). */
  project?: (snapshot: PaymentSnapshot, event: ProjectionEvent) => Promise<void>;
  /** The webhook messages a projection enqueues (default none). */
  messages?: (snapshot: PaymentSnapshot, event: ProjectionEvent) => WebhookMessageRef[];
  /** A reason makes the projection of this state refused for good, as the database would. */
  refuse?: (snapshot: PaymentSnapshot, event: ProjectionEvent) => string | undefined;
  /** One delivery (default: delivered at once with 200). */
  deliver?: (messageId: string) => Promise<WebhookDeliveryOutcome>;
  /**
   * The own webhook's first attempt, made by the capture: its outcome when final, the wait before
   * the next when it failed (default: none, as when it failed on our side, so the delivery activity
   * takes the message over from the start).
   */
  firstAttempt?: (messageId: string) => Promise<{ outcome: WebhookDeliveryOutcome } | { retryInMs: number } | undefined>;
  /** Refunds: the payment as the read model has it (throw to make it still settling; default: none). */
  refundable?: (attempt: number) => RefundablePayment | null | Promise<RefundablePayment | null>;
  /** Refunds: one gateway refund call (throw to fail it); `attempt` counts calls of that refund. */
  refund?: (attempt: number, refundId: string) => void | Promise<void>;
}

/** Where a payment of a merchant without connector accounts goes: the built-in simulator, first attempt. */
export const BUILT_IN_ROUTE: RouteStep = { ...BUILT_IN_SIMULATOR, routeAttempt: 1, failover: false };
/** What the timeline says of that route. */
export const BUILT_IN_DETAILS = { connector: 'simulator', connectorAccountId: null };

/** A decline, as the real gateway activity reports it (final, so Temporal does not retry it). */
export const declined = (message: string) => ApplicationFailure.nonRetryable(message, 'GatewayDeclined');

/**
 * Activities with the real ones' names and shapes, backed by a script instead of Postgres, a
 * gateway and HTTP. Every call is recorded in order, so a test asserts what the workflow asked for.
 */
export function fakeActivities(script: FakeActivityScript = {}) {
  const calls: ActivityCall[] = [];
  /** Delivery starts and ends in order, to check that a lane never overlaps its own messages. */
  const deliveryLog: Array<{ messageId: string; phase: 'start' | 'end' }> = [];
  /** Projection starts and ends in order, to check that writes never overlap. */
  const projectionLog: Array<{ version: number; phase: 'start' | 'end' }> = [];
  const record = (name: ActivityName, args: unknown[]) => {
    calls.push({ name, args: structuredClone(args) });
    return calls.filter((c) => c.name === name).length;
  };

  /** As the real activities: the state a success makes, written by the activity; a failed write is left to the workflow. */
  const writeAfterSuccess = async ({ snapshot, event }: WriteOnSuccess) => {
    const stamped = stampedAt(snapshot, Date.now());
    try {
      return { updatedAt: stamped.updatedAt, messages: await activities.projectPayment(stamped, event) };
    } catch {
      return undefined;
    }
  };

  const activities: Activities = {
    async projectPayment(snapshot, event) {
      record('projectPayment', [snapshot, event]);
      projectionLog.push({ version: snapshot.version, phase: 'start' });
      try {
        await script.project?.(snapshot, event);
      } finally {
        projectionLog.push({ version: snapshot.version, phase: 'end' });
      }
      const refusal = script.refuse?.(snapshot, event);
      if (refusal) throw ApplicationFailure.nonRetryable(refusal, PROJECTION_REFUSED_ERROR);
      return script.messages?.(snapshot, event) ?? [];
    },
    async recordRefusedPayment(snapshot, reason) {
      record('recordRefusedPayment', [snapshot, reason]);
      return [];
    },
    async planRoute(payment) {
      record('planRoute', [payment]);
      return script.route?.() ?? [BUILT_IN_SIMULATOR];
    },
    // As the real one: each write in order, then the route; recorded as those calls, so tests read one log.
    async openCharge({ writes, route }) {
      const messages: WebhookMessageRef[] = [];
      for (const { snapshot, event } of writes) messages.push(...(await activities.projectPayment(snapshot, event)));
      return { messages, connectors: await activities.planRoute(route) };
    },
    async authorizePayment(request) {
      const attempt = record('authorizePayment', [request]);
      await script.authorize?.(attempt, request);
      return { authorizationId: `auth_${request.paymentId}` };
    },
    async settleAbandonedAttempt(request) {
      record('settleAbandonedAttempt', [request]);
      return (await script.settle?.(request.route)) ?? 'absent';
    },
    async capturePayment({ completes, notifies, ...request }) {
      const attempt = record('capturePayment', [request]);
      await script.capture?.(attempt);
      const recorded = completes && (await writeAfterSuccess(completes));
      if (!recorded) return {};
      // As the real one: the own webhook's first attempt, and a final outcome of it written on the payment.
      const own = notifies ? recorded.messages.find((m) => m.lane === OWN_WEBHOOK_LANE) : undefined;
      const attempted = own && (await script.firstAttempt?.(own.id));
      return own && attempted ? afterFirstAttempt(completes.snapshot, recorded, own.id, attempted, writeAfterSuccess) : { recorded };
    },
    async voidAuthorization(request) {
      record('voidAuthorization', [request]);
    },
    async loadRefundablePayment(paymentId) {
      const attempt = record('loadRefundablePayment', [paymentId]);
      return (await script.refundable?.(attempt)) ?? null;
    },
    async recordAcceptedRefund(refund, merchantId) {
      record('recordAcceptedRefund', [refund, merchantId]);
    },
    async projectRefund(snapshot, refund, event) {
      record('projectRefund', [snapshot, refund, event]);
      return script.messages?.(snapshot, event) ?? [];
    },
    async refundPayment(request) {
      record('refundPayment', [request]);
      const attempt = calls.filter(
        (c) => c.name === 'refundPayment' && (c.args[0] as { refundId: string }).refundId === request.refundId,
      ).length;
      await script.refund?.(attempt, request.refundId);
    },
    async deliverWebhookMessage(messageId, own) {
      record('deliverWebhookMessage', own ? [messageId, own] : [messageId]);
      deliveryLog.push({ messageId, phase: 'start' });
      let outcome: WebhookDeliveryOutcome;
      try {
        outcome = await (script.deliver?.(messageId) ?? Promise.resolve({ delivered: true, statusCode: 200, attempts: 1, error: null }));
      } finally {
        deliveryLog.push({ messageId, phase: 'end' });
      }
      if (!own) return outcome;
      // As the real activity: the own webhook's outcome is written on the payment, through the same projection.
      const { change, event } = ownWebhookOutcome(messageId, outcome);
      const recorded = await writeAfterSuccess({ snapshot: { ...own.snapshot, ...change }, event });
      return recorded ? { ...outcome, recorded } : outcome;
    },
  };

  return {
    activities,
    calls,
    deliveryLog,
    projectionLog,
    callsTo: (name: ActivityName) => calls.filter((c) => c.name === name),
    /** The events the workflow projected, in order (`payment.created`, …). */
    projectedEvents: () => calls.filter((c) => c.name === 'projectPayment').map((c) => (c.args[1] as ProjectionEvent).type),
    /** The refund steps the refunds workflow projected, in order. */
    refundSteps: () =>
      calls
        .filter((c) => c.name === 'projectRefund')
        .map((c) => ({ snapshot: c.args[0] as PaymentSnapshot, refund: c.args[1] as RefundState, event: c.args[2] as ProjectionEvent })),
    projected: () =>
      calls
        .filter((c) => c.name === 'projectPayment')
        .map((c) => ({ snapshot: c.args[0] as PaymentSnapshot, event: c.args[1] as ProjectionEvent })),
  };
}
