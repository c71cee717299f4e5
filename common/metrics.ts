import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric of the system, defined once. API and worker register into the same
 * registry when they share a process (`npm start`), and each serves it on /metrics.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const paymentsCreated = new Counter({
  name: 'payments_created_total',
  help: 'Payments accepted by the API',
  registers: [registry],
});

export const paymentsFinished = new Counter({
  name: 'payments_finished_total',
  help: 'Payments that reached a final status (completed, failed, canceled)',
  labelNames: ['status'] as const,
  registers: [registry],
});

// `account` is the connector account id (`built-in` for the simulator every merchant starts with).
export const gatewayCalls = new Counter({
  name: 'gateway_calls_total',
  help: 'Connector calls by connector, account, operation and outcome',
  labelNames: ['connector', 'account', 'operation', 'outcome'] as const,
  registers: [registry],
});

export const connectorCallDuration = new Histogram({
  name: 'connector_call_duration_seconds',
  help: 'How long one connector call took, by connector, account, operation and outcome',
  labelNames: ['connector', 'account', 'operation', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const connectorCircuitOpen = new Gauge({
  name: 'connector_circuit_open',
  help: '1 while the circuit breaker of a connector account is open (its calls are skipped), else 0',
  labelNames: ['connector', 'account'] as const,
  registers: [registry],
});

export const webhookAttempts = new Counter({
  name: 'webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const webhookDeliveryLatency = new Histogram({
  name: 'webhook_delivery_latency_seconds',
  help: 'From the event to its successful delivery, retries included',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600],
  registers: [registry],
});

export const webhookDeadLetters = new Counter({
  name: 'webhook_dead_letters_total',
  help: 'Webhook messages whose retry schedule ran out',
  registers: [registry],
});

export const projectionLag = new Histogram({
  name: 'projection_lag_seconds',
  help: 'From a state change in the workflow to its row being visible in Postgres',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30],
  registers: [registry],
});

/** /metrics answers only the bearer token when one is configured. */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
