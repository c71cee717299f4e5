/**
 * Names and message definitions shared by the API (client side) and the worker (workflow side).
 * Pure: safe to import from workflow code.
 */
import type { ConnectorRef } from './connector-route.js';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { isTerminal, type PaymentEventType, type PaymentStatus, type WebhookDeliveryStatus } from './vocabulary.js';
import type { PaymentAmendment } from './amendment-rules.js';

export const PAYMENT_WORKFLOW_TYPE = 'paymentWorkflow';

/** The payment id is the workflow id: starting the same payment twice is refused by Temporal. */
export const paymentWorkflowId = (paymentId: string): string => paymentId;

/** What a client asked for, plus the identity the API gave it. */
export interface PaymentFields {
  paymentId: string;
  merchantId: string;
  paymentMethodId: string | null;
  reference: string;
  amount: number;
  currency: string;
  delaySeconds: number;
  webhookUrl: string | null;
  data: Record<string, unknown>;
  /** Absent in histories recorded before metadata existed. */
  metadata?: Record<string, string>;
  description: string | null;
  /**
   * `processed`: the payment's own webhookUrl hears only of a payment that was processed (the Go
   * contract: no call on cancel). Absent: it hears the final event, cancellation included.
   */
  notifyOwnWebhook?: 'processed';
  /** `manual`: authorized only when due, captured when the merchant asks. Absent: captured at once. */
  captureMethod?: 'manual';
  /**
   * How long a manual payment's authorization waits for its capture before it is voided, chosen by
   * the API from its config at creation so the workflow's timer never depends on the worker's config.
   */
  captureWindowSeconds?: number;
  /** Epoch ms chosen by the API, so its first row and the workflow's first projection are identical. */
  createdAt: number;
}

export type PaymentWorkflowInput = PaymentFields;

/** A webhook message the projection enqueued; messages of one lane (receiver) are sent in order. */
export interface WebhookMessageRef {
  id: string;
  /** The endpoint id, or `own` for the payment's own webhookUrl. */
  lane: string;
}

export interface WebhookDeliveryOutcome {
  delivered: boolean;
  statusCode: number | null;
  attempts: number;
  error: string | null;
  /** Set when the delivery wrote its outcome on the payment itself (the own webhook). */
  recorded?: RecordedWrite;
}

/**
 * A state change an activity writes itself once its work succeeded (a capture, the own webhook's
 * delivery), so the workflow needs no local activity, and no activation, after it. `snapshot` is
 * the payment at its next version; the activity stamps it with its own clock (`stampedAt`). Nothing
 * else moves a payment meanwhile: it is processing, or final with refunds waiting for its own webhook.
 */
export interface WriteOnSuccess {
  snapshot: PaymentSnapshot;
  event: ProjectionEvent;
}

/** What such an activity wrote: when, and the webhook messages the write queued. */
export interface RecordedWrite {
  updatedAt: number;
  messages: WebhookMessageRef[];
}

/**
 * The payment's own webhook, attempted by the capture right after its `completed` write: the outcome
 * when final (delivered, refused for good, or a one-attempt schedule exhausted), which the workflow
 * takes as the delivery's, running no delivery activity; else the wait the schedule (or the
 * receiver's Retry-After) sets before the next attempt, which the delivery activity keeps.
 */
export type OwnWebhookAttempt = { messageId: string } & ({ outcome: WebhookDeliveryOutcome } | { retryInMs: number });

/** A snapshot as written at `now`: updated then, and completed then if this write makes it final. */
export function stampedAt(snapshot: PaymentSnapshot, now: number): PaymentSnapshot {
  const completes = snapshot.completedAt === null && isTerminal(snapshot.status);
  return { ...snapshot, updatedAt: now, completedAt: completes ? now : snapshot.completedAt };
}

/** The payment's state and event once its own webhook's outcome is final. */
export function ownWebhookOutcome(
  messageId: string,
  { delivered, statusCode, attempts, error }: WebhookDeliveryOutcome,
): { change: Pick<PaymentSnapshot, 'webhookStatus'>; event: ProjectionEvent } {
  return {
    change: { webhookStatus: delivered ? 'delivered' : 'failed' },
    event: { type: delivered ? 'webhook.delivered' : 'webhook.failed', details: { messageId, statusCode, attempts, error } },
  };
}

/**
 * What the capture answers after the own webhook's first attempt: a final outcome written on the
 * payment at the version after `completed` (through `write`, as the delivery activity writes it; left
 * to the workflow when that write fails), or the wait before the next attempt.
 */
export async function afterFirstAttempt(
  completed: PaymentSnapshot,
  recorded: RecordedWrite,
  messageId: string,
  attempted: { outcome: WebhookDeliveryOutcome } | { retryInMs: number },
  write: (change: WriteOnSuccess) => Promise<RecordedWrite | undefined>,
): Promise<{ recorded: RecordedWrite; ownWebhook: OwnWebhookAttempt }> {
  if (!('outcome' in attempted)) return { recorded, ownWebhook: { messageId, retryInMs: attempted.retryInMs } };
  const { outcome } = attempted;
  const { change, event } = ownWebhookOutcome(messageId, outcome);
  const paid = stampedAt(completed, recorded.updatedAt);
  const written = await write({ snapshot: { ...paid, ...change, version: paid.version + 1 }, event });
  return { recorded, ownWebhook: { messageId, outcome: written ? { ...outcome, recorded: written } : outcome } };
}

export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';
export const OWN_WEBHOOK_LANE = 'own';

export interface PaymentWorkflowResult {
  status: PaymentStatus;
  failureReason: string | null;
  compensated: boolean;
  webhookStatus: PaymentSnapshot['webhookStatus'];
}

/** Everything the read model stores about a payment, as the workflow knows it. */
export interface PaymentSnapshot extends PaymentFields {
  status: PaymentStatus;
  version: number;
  scheduledAt: number;
  workflowRunId: string | null;
  failureReason: string | null;
  compensated: boolean;
  webhookStatus: WebhookDeliveryStatus | null;
  updatedAt: number;
  completedAt: number | null;
  /** What was captured; absent or null until then (and in histories recorded before capture amounts). */
  capturedAmount?: number | null;
  /** Manual capture: when the authorization is voided unless captured (epoch ms); null otherwise. */
  captureBefore?: number | null;
  /** Minor units refunded so far (refunds run in the payment's refunds workflow); absent means 0. */
  amountRefunded?: number;
  /** The connector that authorized the payment; absent (the built-in simulator) in older histories. */
  connector?: ConnectorRef & { authorizationId: string };
}

export interface ProjectionEvent {
  type: PaymentEventType;
  details: Record<string, unknown>;
}

/** A charge's opening: the state changes to write, in order, and the payment whose route to read. */
export interface OpenChargeInput {
  writes: Array<{ snapshot: PaymentSnapshot; event: ProjectionEvent }>;
  route: { merchantId: string; amount: number; currency: string; paymentMethodId: string | null };
}

export interface PaymentWorkflowState {
  status: PaymentStatus;
  version: number;
  /** When the delay timer fires (epoch ms); processing starts then unless canceled or hurried. */
  scheduledAt: number;
  failureReason: string | null;
  compensated: boolean;
  webhookStatus: PaymentSnapshot['webhookStatus'];
}

export const getStateQuery = defineQuery<PaymentWorkflowState>('getState');
/** Ends a pending payment as canceled; refused once processing began. */
export const cancelUpdate = defineUpdate<PaymentWorkflowState, [{ reason?: string }]>('cancel');
/** Skips the rest of a pending payment's delay. */
export const processNowUpdate = defineUpdate<PaymentWorkflowState, []>('processNow');

/** Captures a payment awaiting capture: all of its authorized amount, or `amount` of it. */
export const captureUpdate = defineUpdate<PaymentWorkflowState, [{ amount?: number }]>('capture');

/** The capture validator's refusal of an amount above the authorized one; the API maps it to BAD_REQUEST. */
export const INVALID_CAPTURE_AMOUNT_ERROR = 'InvalidCaptureAmount';

/** Message of the update validator's refusal; the API maps it to a CONFLICT answer. */
export const NOT_PENDING_ERROR = 'PaymentNotPending';

/** Failure type of a projection the database refuses on every attempt (the payment then ends). */
export const PROJECTION_REFUSED_ERROR = 'ProjectionRefused';

/**
 * The first state of every payment. The API writes it right after starting the workflow and the
 * workflow writes it as its first projection: both build it here, so whichever lands first wins
 * and the other changes nothing.
 */
export function initialSnapshot(fields: PaymentFields, workflowRunId: string): PaymentSnapshot {
  return {
    ...fields,
    status: 'pending',
    version: 1,
    scheduledAt: fields.createdAt + fields.delaySeconds * 1000,
    workflowRunId,
    failureReason: null,
    compensated: false,
    webhookStatus: fields.webhookUrl ? 'pending' : null,
    updatedAt: fields.createdAt,
    completedAt: null,
  };
}

export type { PaymentAmendment } from './amendment-rules.js';

/**
 * Changes a pending payment (amount, currency, delay, webhook URL, description, metadata); refused
 * once processing began (NOT_PENDING_ERROR), for a payment that cannot be amended
 * (NOT_AMENDABLE_ERROR) and for an invalid change (INVALID_AMENDMENT_ERROR). Answers once the
 * amended state is in the read model.
 */
export const amendUpdate = defineUpdate<PaymentWorkflowState, [PaymentAmendment]>('amend');
/** The amend validator's refusal of a payment that is pending but cannot be amended; a CONFLICT. */
export const NOT_AMENDABLE_ERROR = 'PaymentNotAmendable';
/** The amend validator's refusal of the change itself; a BAD_REQUEST (the API checks first). */
export const INVALID_AMENDMENT_ERROR = 'InvalidAmendment';
