import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { AMENDABLE_FIELDS, amendmentProblem, type PaymentAmendment } from '../../common/amendment-rules.js';
import { INVALID_AMENDMENT_ERROR, NOT_AMENDABLE_ERROR, amendUpdate, type PaymentSnapshot } from '../../common/workflow-api.js';
import type { PaymentRun } from './payment-run.js';

/**
 * The amend update: a pending payment nobody canceled or hurried takes new values at once, as a
 * new version with a `payment.amended` timeline entry naming each change (before → after). The
 * waiting loop sees a moved schedule and re-arms its timer (see `waitUntilDue`).
 */
export function acceptAmendments(payment: PaymentRun): void {
  setHandler(
    amendUpdate,
    async (amendment) => {
      // The validator ran in this same activation; checked again so nothing slips in between.
      refuseAmendment(payment, amendment);
      const { change, changes } = amendmentChange(payment.snapshot, amendment);
      // The same values again (a retried amendment) are no new version.
      if (Object.keys(changes).length > 0) await payment.amend(change, { changes });
      return payment.state();
    },
    { validator: (amendment) => refuseAmendment(payment, amendment) },
  );
}

function refuseAmendment(payment: PaymentRun, amendment: PaymentAmendment): void {
  payment.refuseUnlessPending('amended');
  if (payment.snapshot.notifyOwnWebhook === 'processed') {
    throw ApplicationFailure.create({
      type: NOT_AMENDABLE_ERROR,
      message:
        'a payment created through the Go-compatible door (POST /payment) cannot be amended: its data, which its webhook_url receives, carries the amount and currency as they were sent; cancel it and create another',
      nonRetryable: true,
    });
  }
  const problem = amendmentProblem(amendment);
  if (problem) throw ApplicationFailure.create({ type: INVALID_AMENDMENT_ERROR, message: problem, nonRetryable: true });
}

/** The snapshot fields an amendment changes, and each change as `{ before, after }`. */
export function amendmentChange(
  snapshot: PaymentSnapshot,
  amendment: PaymentAmendment,
): { change: Partial<PaymentSnapshot>; changes: Record<string, { before: unknown; after: unknown }> } {
  const change: Partial<PaymentSnapshot> = {};
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const field of AMENDABLE_FIELDS) {
    const after = amendment[field];
    const before = field === 'metadata' ? (snapshot.metadata ?? {}) : snapshot[field];
    if (after === undefined || sameValue(before, after)) continue;
    changes[field] = { before, after };
    Object.assign(change, { [field]: after });
  }
  // Counted from creation, as at creation: a delay already past processes at once.
  if (change.delaySeconds !== undefined) {
    change.scheduledAt = snapshot.createdAt + change.delaySeconds * 1000;
    changes.scheduledAt = { before: new Date(snapshot.scheduledAt).toISOString(), after: new Date(change.scheduledAt).toISOString() };
  }
  // The payment's own webhook is pending exactly while it has a URL.
  if (change.webhookUrl !== undefined) change.webhookStatus = change.webhookUrl === null ? null : 'pending';
  return { change, changes };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const left = Object.entries(a).sort(([x], [y]) => (x < y ? -1 : 1));
    const right = Object.entries(b).sort(([x], [y]) => (x < y ? -1 : 1));
    return JSON.stringify(left) === JSON.stringify(right);
  }
  return a === b;
}
