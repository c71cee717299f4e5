import { ApplicationFailure, condition, patched } from '@temporalio/workflow';
import {
  REFUNDABLE_STATUSES,
  REFUND_REFUSED_ERROR,
  statusAfterRefunds,
  type RefundFacts,
  type RefundRequest,
  type RefundState,
  type RefundablePayment,
  type RefundsWorkflowInput,
  type RefundsWorkflowResult,
} from '../../common/refund-api.js';
import { MAX_AMOUNT } from '../../common/payment-rules.js';

/** As the API's refund schema (common/refund.ts). */
const MAX_REASON = 500;
import type { ProjectionEvent, WebhookMessageRef } from '../../common/workflow-api.js';
import { deliverWebhookMessage } from './activity-proxies.js';
import { failureMessage } from './failures.js';
import { loadRefundablePayment, projectRefund, recordAcceptedRefund, refundPayment } from './refund-activities.js';
import { WebhookLanes } from './webhook-lanes.js';

/** How long a refund request waits for the outcome before it answers with the refund still pending. */
const ANSWER_WITHIN = '5 seconds';

/**
 * The refunds of one payment as its workflow knows them. Accepting a refund reserves its amount at
 * once (no await between the check and the reservation), so concurrent requests see each other.
 */
export class RefundsRun {
  /** Undefined while loading; null when there is no such payment. */
  private payment: RefundablePayment | null | undefined;
  private readonly byId = new Map<string, RefundState>();
  private readonly queue: RefundState[] = [];
  /** Amounts accepted whose outcome is not known yet. */
  private inFlight = 0;
  private readonly created = new Set<string>();
  private readonly settled = new Set<string>();
  private readonly lanes = new WebhookLanes((message) => this.deliver(message));

  constructor(private readonly input: RefundsWorkflowInput) {}

  async load(): Promise<void> {
    this.payment = await loadRefundablePayment(this.input.paymentId);
  }

  /** The validator: refuses what is surely refused; with nothing to judge by yet, the handler decides. */
  validate(request: RefundRequest): void {
    // The API checks these too, but anyone with Temporal access can send an update: a bad amount would
    // reach the gateway and the read model (which refuses it and failed the run).
    const { amount, reason } = request;
    if (amount !== undefined && !(Number.isSafeInteger(amount) && amount > 0 && amount <= MAX_AMOUNT))
      throw this.refused(request, `amount: must be an integer number of minor units from 1 to ${MAX_AMOUNT}`);
    if (reason !== null && reason !== undefined && (typeof reason !== 'string' || reason.length < 1 || reason.length > MAX_REASON))
      throw this.refused(request, `reason: must be 1 to ${MAX_REASON} characters`);
    if (this.byId.has(request.refundId) || this.facts() === undefined) return;
    this.refuse(request);
  }

  /**
   * The update: accepts the refund (or finds it again), then answers with it settled, or still pending
   * after a few seconds. Written (`refund.created`) before the answer, unless the payment is still settling.
   */
  async request(request: RefundRequest): Promise<RefundState> {
    await condition(() => this.facts() !== undefined);
    let refund = this.byId.get(request.refundId);
    const listedAtOnce = patched('refund-listed-when-accepted');
    if (!refund) {
      this.refuse(request);
      refund = this.accept(request);
      // Listed now, so the answer never has to wait for its turn (behind the payment's own webhooks or
      // other refunds) to be readable: it answers within ANSWER_WITHIN, settled or still pending.
      if (listedAtOnce) await recordAcceptedRefund({ ...refund }, this.input.merchantId);
    }
    const id = refund.refundId;
    await condition(() => this.settled.has(id), ANSWER_WITHIN);
    if (!listedAtOnce) await condition(() => this.created.has(id) || this.payment === undefined);
    return { ...refund };
  }

  /** The loaded payment, else what the API read (null: no such payment); undefined: nothing yet. */
  private facts(): RefundFacts | null | undefined {
    if (this.payment === null) return null;
    if (this.payment === undefined) return this.input.payment;
    const { snapshot, capturedAmount, amountRefunded } = this.payment;
    return { status: snapshot.status, currency: snapshot.currency, capturedAmount, amountRefunded };
  }

  next(): RefundState | undefined {
    return this.queue.shift();
  }

  hasQueued(): boolean {
    return this.queue.length > 0;
  }

  refunds(): RefundState[] {
    return [...this.byId.values()].map((r) => ({ ...r }));
  }

  result(): RefundsWorkflowResult {
    return {
      refunds: [...this.byId.values()].map(({ refundId, amount, status }) => ({ refundId, amount, status })),
      amountRefunded: this.payment?.amountRefunded ?? 0,
    };
  }

  /** created → gateway → succeeded | failed, each step projected with the payment's next version. */
  async process(refund: RefundState): Promise<void> {
    const payment = this.payment!;
    const { refundId, amount, currency, reason } = refund;
    await this.project(refund, 'refund.created', { refundId, amount, reason });
    this.created.add(refundId);
    const { paymentId, data } = payment.snapshot;
    const scenario = typeof data.simulate === 'string' ? data.simulate : undefined;
    // Accepted on the API's read before the payment was loaded: the loaded state has the last word.
    const beyond = this.beyondLoaded(refund);
    try {
      if (beyond) throw new Error(beyond);
      await refundPayment({ paymentId, refundId, amount, currency, scenario });
      refund.status = 'succeeded';
      payment.amountRefunded += amount;
    } catch (err) {
      refund.status = 'failed';
      refund.failureReason = failureMessage(err);
    }
    this.inFlight -= amount;
    refund.updatedAt = Date.now();
    payment.snapshot.status = statusAfterRefunds(payment.capturedAmount, payment.amountRefunded, payment.snapshot.status);
    await this.project(
      refund,
      refund.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed',
      refund.status === 'succeeded' ? { refundId, amount } : { refundId, amount, reason: refund.failureReason },
    );
    this.settled.add(refundId);
  }

  drainWebhooks(): Promise<void> {
    return this.lanes.drain();
  }

  /** Why a refund cannot go ahead on the loaded state (it was accepted on the API's read), if it cannot. */
  private beyondLoaded(refund: RefundState): string | undefined {
    const payment = this.payment!;
    const { status, currency } = payment.snapshot;
    if (!REFUNDABLE_STATUSES.includes(status))
      return `payment is ${status}; only a completed or partially refunded payment can be refunded`;
    const left = payment.capturedAmount - payment.amountRefunded;
    if (refund.amount > left) return `amount: ${refund.amount} is more than the ${left} ${currency} left to refund`;
    return undefined;
  }

  private refused(request: RefundRequest, message: string): ApplicationFailure {
    return ApplicationFailure.create({ type: REFUND_REFUSED_ERROR, message, nonRetryable: true, details: [request.refundId] });
  }

  /** Throws the refusal a client sees (the API answers 409 with its message). */
  private refuse(request: RefundRequest): void {
    const payment = this.facts();
    const refused = (message: string) => this.refused(request, message);
    if (!payment) throw refused(`no payment ${this.input.paymentId} to refund`);
    const { status, currency } = payment;
    if (!REFUNDABLE_STATUSES.includes(status)) {
      throw refused(`payment is ${status}; only a completed or partially refunded payment can be refunded`);
    }
    const left = this.refundable();
    if (left <= 0) {
      throw refused(`nothing left to refund: the ${payment.capturedAmount} ${currency} captured is refunded or being refunded already`);
    }
    if (request.amount !== undefined && request.amount > left) {
      throw refused(
        `amount: ${request.amount} is more than the ${left} ${currency} left to refund ` +
          `(captured ${payment.capturedAmount}, refunded ${payment.amountRefunded}, being refunded ${this.inFlight})`,
      );
    }
  }

  private refundable(): number {
    const payment = this.facts()!;
    return payment.capturedAmount - payment.amountRefunded - this.inFlight;
  }

  private accept(request: RefundRequest): RefundState {
    const now = Date.now();
    const refund: RefundState = {
      refundId: request.refundId,
      paymentId: this.input.paymentId,
      amount: request.amount ?? this.refundable(),
      currency: this.facts()!.currency,
      reason: request.reason,
      status: 'pending',
      failureReason: null,
      createdAt: now,
      updatedAt: now,
    };
    this.inFlight += refund.amount;
    this.byId.set(refund.refundId, refund);
    this.queue.push(refund);
    return refund;
  }

  /** The payment's next version, with the refund's step; the messages it enqueued join the payment's lanes. */
  private async project(refund: RefundState, type: ProjectionEvent['type'], details: Record<string, unknown>): Promise<void> {
    const payment = this.payment!;
    Object.assign(payment.snapshot, {
      version: payment.snapshot.version + 1,
      updatedAt: Date.now(),
      amountRefunded: payment.amountRefunded,
    });
    this.lanes.enqueue(await projectRefund({ ...payment.snapshot }, { ...refund }, { type, details }));
  }

  private async deliver(message: WebhookMessageRef): Promise<void> {
    try {
      await deliverWebhookMessage(message.id);
    } catch {
      // The activity itself failed (not the receiver): the message stays as the activity left it;
      // a failed delivery never fails a refund.
    }
  }
}
