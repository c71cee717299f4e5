import { ApplicationFailure } from '@temporalio/workflow';
import { isTerminal, type PaymentStatus } from '../../common/vocabulary.js';
import {
  NOT_PENDING_ERROR,
  OWN_WEBHOOK_LANE,
  initialSnapshot,
  ownWebhookOutcome,
  stampedAt,
  type PaymentFields,
  type PaymentSnapshot,
  type PaymentWorkflowResult,
  type PaymentWorkflowState,
  type OpenChargeInput,
  type OwnWebhookAttempt,
  type RecordedWrite,
  type ProjectionEvent,
  type WebhookDeliveryOutcome,
  type WebhookMessageRef,
  type WriteOnSuccess,
} from '../../common/workflow-api.js';
import type { ConnectorRef } from '../../common/connector-route.js';
import { deliverWebhookMessage, openCharge, projectPayment, recordRefusedPayment } from './activity-proxies.js';
import { CaptureRequests } from './capture.js';
import { failureMessage } from './failures.js';
import { WebhookLanes } from './webhook-lanes.js';

/**
 * One payment as its workflow knows it: the snapshot, what of it the read model has, what callers
 * asked for, and its webhook lanes. Every state change goes through `transition` (or
 * `endRefused`), which bumps the version and projects it; the projection's messages are queued
 * for delivery.
 */
export class PaymentRun {
  readonly snapshot: PaymentSnapshot;
  /** The highest version the read model has: an update answers only once its state is written. */
  private projectedVersion = 0;
  /** The latest projection still in flight (settled, never rejecting), or null. */
  private writing: Promise<void> | null = null;
  /** Set by the cancel update: the delay ends and the payment is canceled. */
  private requestedCancel: string | null = null;
  /** Set by the processNow update: the delay ends and the payment is charged at once. */
  private requestedProcessNow = false;
  /** Set when the read model refused the payment for good; its result then reports no webhook. */
  private refusal: string | null = null;
  /** Manual capture: what callers asked of the payment while it awaits capture. */
  readonly captures = new CaptureRequests();
  private readonly lanes = new WebhookLanes((message) => this.deliver(message));
  /** Own webhook messages the capture made the first attempt at, before their turn came. */
  private readonly attemptedEarly = new Map<string, OwnWebhookAttempt>();

  constructor(fields: PaymentFields, runId: string) {
    this.snapshot = initialSnapshot(fields, runId);
  }

  state(): PaymentWorkflowState {
    const { status, version, scheduledAt, failureReason, compensated, webhookStatus } = this.snapshot;
    return { status, version, scheduledAt, failureReason, compensated, webhookStatus };
  }

  result(): PaymentWorkflowResult {
    const { status, failureReason, compensated, webhookStatus } = this.snapshot;
    return { status, failureReason, compensated, webhookStatus: this.refusal === null ? webhookStatus : null };
  }

  /** The current state is written to the read model. */
  get projected(): boolean {
    return this.projectedVersion >= this.snapshot.version;
  }

  /** Why a caller canceled the payment; null while nobody did. */
  get cancelReason(): string | null {
    return this.requestedCancel;
  }

  get processNowRequested(): boolean {
    return this.requestedProcessNow;
  }

  /** A caller asked to cancel or to process now: the delay is over. */
  get interrupted(): boolean {
    return this.requestedCancel !== null || this.requestedProcessNow;
  }

  requestCancel(reason: string | undefined): void {
    this.requestedCancel = reason?.trim() || 'canceled on request';
  }

  requestProcessNow(): void {
    this.requestedProcessNow = true;
  }

  /** The update validators' check: only a pending payment nobody has acted on yet can be canceled or hurried. */
  refuseUnlessPending(action: string): void {
    const { status } = this.snapshot;
    if (status === 'pending' && !this.interrupted) return;
    const now =
      this.requestedCancel !== null
        ? 'being canceled'
        : this.requestedProcessNow && status === 'pending'
          ? 'about to be processed'
          : status;
    throw ApplicationFailure.create({
      type: NOT_PENDING_ERROR,
      message: `payment is ${now}; only a pending payment can be ${action}`,
      nonRetryable: true,
    });
  }

  /**
   * Writes the snapshot as it is now and queues the webhook messages the write produced. Writes
   * run one after another: an amendment can start one while another is in flight, and its
   * receivers must still get the events in version order. A write with none in flight starts at
   * once, as it always did, so recorded histories replay unchanged.
   */
  project(event: ProjectionEvent): Promise<void> {
    const snapshot = { ...this.snapshot };
    return this.write(async () => {
      this.lanes.enqueue(await projectPayment(snapshot, event));
      this.projectedVersion = Math.max(this.projectedVersion, snapshot.version);
    });
  }

  /**
   * `processing` (after `created` when the payment was due at once and that is not written yet)
   * and the route, in one local activity: a charge opens in one activation instead of two or three.
   */
  openCharge(details: Record<string, unknown>, withCreated: boolean): Promise<ConnectorRef[]> {
    const writes: OpenChargeInput['writes'] = [];
    if (withCreated) writes.push({ snapshot: { ...this.snapshot }, event: { type: 'payment.created', details: {} } });
    Object.assign(this.snapshot, { status: 'processing', version: this.snapshot.version + 1, updatedAt: Date.now() });
    const snapshot = { ...this.snapshot };
    writes.push({ snapshot, event: { type: 'payment.processing', details } });
    const { merchantId, amount, currency, paymentMethodId } = snapshot;
    let connectors: ConnectorRef[] = [];
    return this.write(async () => {
      const opened = await openCharge({ writes, route: { merchantId, amount, currency, paymentMethodId } });
      this.lanes.enqueue(opened.messages);
      this.projectedVersion = Math.max(this.projectedVersion, snapshot.version);
      connectors = opened.connectors;
    }).then(() => connectors);
  }

  /** Runs a write after the one in flight, if any (the same promise chain as before, so histories replay). */
  private write(run: () => Promise<void>): Promise<void> {
    const written = this.writing ? this.writing.then(run, run) : run();
    const settled = written.then(
      () => undefined,
      () => undefined,
    );
    this.writing = settled;
    void settled.then(() => {
      if (this.writing === settled) this.writing = null;
    });
    return written;
  }

  /** New values at once (so the timer and the validators see them), then the `payment.amended` write. */
  amend(change: Partial<PaymentSnapshot>, details: Record<string, unknown>): Promise<void> {
    Object.assign(this.snapshot, change, { version: this.snapshot.version + 1, updatedAt: Date.now() });
    return this.project({ type: 'payment.amended', details });
  }

  /** The status changes at once (so update validators see it), then the write follows. */
  async transition(status: PaymentStatus, details: Record<string, unknown> = {}, change: Partial<PaymentSnapshot> = {}): Promise<void> {
    const now = Date.now();
    Object.assign(this.snapshot, change, { status, version: this.snapshot.version + 1, updatedAt: now });
    if (isTerminal(status)) this.snapshot.completedAt = now;
    await this.project({ type: `payment.${status}` as ProjectionEvent['type'], details });
  }

  /** Deliveries may still be retrying, and a delivery may queue more: waits until all are done. */
  drainWebhooks(): Promise<void> {
    return this.lanes.drain();
  }

  /**
   * The database refuses this payment's state on every attempt: ends it, recorded without the
   * fields that caused it, instead of retrying for ever. Money that moved keeps its status.
   */
  async endRefused(refusal: string): Promise<void> {
    const payment = this.snapshot;
    const status: PaymentStatus = isTerminal(payment.status) ? payment.status : 'failed';
    Object.assign(payment, { status, failureReason: refusal, version: payment.version + 1, updatedAt: Date.now() });
    payment.completedAt ??= payment.updatedAt;
    this.refusal = refusal;
    this.lanes.enqueue(await recordRefusedPayment({ ...payment }, refusal));
    this.projectedVersion = payment.version;
    // Deliveries already under way finish (or dead-letter) as usual; the refused one is settled.
    await this.lanes.settle();
  }

  private async deliver(message: WebhookMessageRef): Promise<void> {
    const own = message.lane === OWN_WEBHOOK_LANE;
    // The own webhook's activity writes its outcome on the payment (see `WriteOnSuccess`).
    const next = { ...this.snapshot, version: this.snapshot.version + 1 };
    const early = this.attemptedEarly.get(message.id);
    this.attemptedEarly.delete(message.id);
    let outcome = early && 'outcome' in early ? early.outcome : undefined;
    // Awaited here, in this function, as released histories did: their commands replay in the same order.
    if (!outcome) {
      // After a failed first attempt by the capture, the activity keeps the schedule's pace.
      const after = early && 'retryInMs' in early ? { after: early.retryInMs } : {};
      try {
        outcome = await (own && this.refusal === null
          ? deliverWebhookMessage(message.id, { snapshot: next, ...after })
          : deliverWebhookMessage(message.id));
      } catch (err) {
        // The activity itself failed (not the receiver): a failed delivery, not a failed payment.
        outcome = { delivered: false, statusCode: null, attempts: 0, error: failureMessage(err) };
      }
    }
    if (!own) return;
    const { recorded, ...reported } = outcome;
    if (recorded) this.adoptWrite({ ...next, ...ownWebhookOutcome(message.id, reported).change }, recorded);
    else await this.recordOwnWebhook(message.id, reported);
  }

  /** The payment's own webhookUrl (the Go contract) reports its outcome on the payment. */
  private async recordOwnWebhook(messageId: string, outcome: WebhookDeliveryOutcome): Promise<void> {
    const { change, event } = ownWebhookOutcome(messageId, outcome);
    Object.assign(this.snapshot, change, { version: this.snapshot.version + 1, updatedAt: Date.now() });
    await this.project(event);
  }

  /** The state change `transition` would make, for an activity to write once its work succeeded. */
  nextState(status: PaymentStatus, details: Record<string, unknown>, change: Partial<PaymentSnapshot> = {}): WriteOnSuccess {
    return {
      snapshot: { ...this.snapshot, ...change, status, version: this.snapshot.version + 1 },
      event: { type: `payment.${status}` as ProjectionEvent['type'], details },
    };
  }

  /**
   * `next`, written by an activity at `recorded.updatedAt`: the snapshot becomes it, and the write's
   * messages are queued. When the activity did not write it (its result has no `recorded`: a history
   * from before, or the write failed), the caller makes the change itself instead, as it always did.
   */
  adoptWrite(next: PaymentSnapshot, { updatedAt, messages }: RecordedWrite, attempted?: OwnWebhookAttempt): void {
    Object.assign(this.snapshot, stampedAt(next, updatedAt));
    this.projectedVersion = Math.max(this.projectedVersion, next.version);
    // Its lane still runs, so `drain` waits for its outcome's write; a final outcome sends nothing more.
    if (attempted) this.attemptedEarly.set(attempted.messageId, attempted);
    this.lanes.enqueue(messages);
  }
}
