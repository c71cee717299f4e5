import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

// Projection writes are short database upserts: local activities keep them off the task queue and
// out of the history (one marker each). They retry without limit so the read model always converges.
export const { projectPayment, recordRefusedPayment } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

// A charge's opening runs up to three statements, each bounded by the pool's 5 s query timeout: its
// attempt gets room for all three, so a slow database does not time out attempts whose writes land.
export const { openCharge } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

export const { authorizePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

// A connector with another after it gets fewer tries before the route moves on: the next one may
// answer while this one is still failing. The key repeats on each try, so none can charge twice.
export const { authorizePayment: authorizeBeforeFailover } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

// One indexed read of the merchant's accounts: a local activity, like the projection (a marker in the
// history instead of three events), retried without limit since only the database can fail it.
export const { planRoute } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

// The route may move on only once the abandoned attempt is proven absent or voided: until the
// connector answers, retry without limit (money may be held there). A captured one is non-retryable.
export const { settleAbandonedAttempt } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

// A transient capture error leaves the outcome unknown (the gateway may have taken the money), so
// giving up and voiding would report `failed` for a charged card. Capture is idempotent by payment id
// at the gateway: retry without limit; only a definite refusal (non-retryable GatewayDeclined) fails.
// Only the retry policy and timeouts changed, not the commands the workflow emits, so recorded histories
// replay (test/integration/workflow-history.test.ts) without patched(). The capture also makes the own
// webhook's first attempt (up to WEBHOOK_TIMEOUT_MS, 10 s by default, and its statements): it has room
// for both, and heartbeats, so a worker that dies in it is noticed in seconds.
export const { capturePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
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
