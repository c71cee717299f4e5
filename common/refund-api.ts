/**
 * Names and message definitions of refunds, shared by the API (client side) and the worker
 * (workflow side). Pure: safe to import from workflow code.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { PaymentStatus, RefundStatus } from './vocabulary.js';
import type { PaymentSnapshot } from './workflow-api.js';

export const REFUNDS_WORKFLOW_TYPE = 'refundsWorkflow';

/**
 * One refunds workflow per payment, its id derived from the payment's: every refund of a payment goes
 * through the same run, which serializes them, so two concurrent refunds cannot exceed the captured amount.
 */
export const refundsWorkflowId = (paymentId: string): string => `${paymentId}/refunds`;

/** The update's id: a retried request for the same refund is the same update, which Temporal dedupes. */
export const refundUpdateId = (refundId: string): string => `refund:${refundId}`;

export interface RefundsWorkflowInput {
  paymentId: string;
  merchantId: string;
  /**
   * The payment as the API read it just before starting this run. Safe to validate against until the
   * run has loaded it: a new run starts only after the previous one ended, and a run ends only after all
   * its refunds were written, so this read saw every earlier refund. Lets a refund be accepted (and
   * answered `pending`) while the payment's own webhooks are still being delivered, which can take hours.
   */
  payment?: RefundFacts;
}

/** What decides whether a refund fits. */
export interface RefundFacts {
  status: PaymentStatus;
  currency: string;
  capturedAmount: number;
  amountRefunded: number;
}

export interface RefundRequest {
  refundId: string;
  /** Minor units; absent: everything still refundable when the refund runs. */
  amount?: number;
  reason: string | null;
}

export interface RefundState {
  refundId: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason: string | null;
  status: RefundStatus;
  failureReason: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * What a refunds run needs of its payment, loaded from the read model once the payment's own workflow
 * is finished: its last state (the refund events continue its version sequence) and what is refundable.
 */
export interface RefundablePayment {
  snapshot: PaymentSnapshot;
  /** What the payment's money movement took: the ceiling of all its refunds together. */
  capturedAmount: number;
  amountRefunded: number;
}

export interface RefundsWorkflowResult {
  refunds: Array<Pick<RefundState, 'refundId' | 'amount' | 'status'>>;
  amountRefunded: number;
}

/** Refunds the payment (all that is left, or `amount`); answers with the refund as it stands. */
export const refundUpdate = defineUpdate<RefundState, [RefundRequest]>('refund');
export const refundsQuery = defineQuery<RefundState[]>('refunds');

/** Failure type of a refused refund (wrong status, amount above what is left); the API maps it to 409. */
export const REFUND_REFUSED_ERROR = 'RefundRefused';

/** Statuses a payment can be refunded from (once something of it was captured and not all refunded). */
export const REFUNDABLE_STATUSES: readonly PaymentStatus[] = ['completed', 'partially_refunded'];

/**
 * The captured amount of a payment: the ceiling of its refunds. A manual capture may have taken less
 * than the amount; a row without `capturedAmount` (none is left after migration 0012's backfill, but a
 * reader may still meet one) captured its whole amount when it completed.
 */
export function capturedAmountOf(payment: { status: PaymentStatus; amount: number; capturedAmount?: number | null }): number {
  if (!['completed', 'partially_refunded', 'refunded'].includes(payment.status)) return 0;
  return payment.capturedAmount ?? payment.amount;
}

/** The payment's status after its refunds: nothing, some or all of the captured amount returned. */
export function statusAfterRefunds(capturedAmount: number, amountRefunded: number, current: PaymentStatus): PaymentStatus {
  if (amountRefunded <= 0) return current;
  return amountRefunded >= capturedAmount ? 'refunded' : 'partially_refunded';
}
