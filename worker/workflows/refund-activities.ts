import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

// Like the payment's projection: a short upsert, retried without limit so the read model converges.
export const { projectRefund, recordAcceptedRefund } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

// Retried (without limit) while the payment's own workflow still writes or delivers: that ends.
export const { loadRefundablePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
});

// A transient error leaves the outcome unknown (the gateway may have refunded and lost its answer), so
// it is retried without limit: the gateway refunds idempotently by refund id, and failing the refund would
// make its amount refundable again — paid twice. Only a refusal (non-retryable) fails it.
export const { refundPayment } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});
