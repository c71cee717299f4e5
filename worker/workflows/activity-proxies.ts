import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

// Projection writes are short database upserts: local activities keep them off the task queue and
// out of the history (one marker each). They retry without limit so the read model always converges.
export const { projectPayment, recordRefusedPayment } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

export const { authorizePayment, capturePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

// The activity paces its own retries along the configured schedule (nextRetryDelay) and returns
// once the outcome is final, so Temporal's policy only needs to keep retrying.
export const { deliverWebhookMessage } = proxyActivities<Activities>({
  startToCloseTimeout: '3m',
  // The attempt heartbeats: a worker that dies mid-attempt is noticed in seconds, not minutes.
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 1 },
});

// Compensation must happen: no attempt limit.
export const { voidAuthorization } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});
