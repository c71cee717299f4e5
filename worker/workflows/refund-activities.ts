import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

// Like the payment's projection: a short upsert, retried without limit so the read model converges.
export const { projectRefund } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

// Retried (without limit) while the payment's own workflow still writes or delivers: that ends.
export const { loadRefundablePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
});

// Transient gateway errors are retried a few times, then the refund fails (the merchant may try again);
// a refusal is non-retryable and fails it at once.
export const { refundPayment } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});
