import { sql } from 'drizzle-orm';
import { DEMO_MERCHANT_ID } from './schema.js';
import type { AttemptOutcome, ConnectorKind, ConnectorStep } from '../common/vocabulary.js';
import type { Database } from './client.js';

export interface AttemptRecord {
  paymentId: string;
  step: ConnectorStep;
  routeAttempt: number;
  connectorAccountId: string | null;
  connector: ConnectorKind;
  idempotencyKey: string;
  outcome: AttemptOutcome;
  latencyMs: number;
  error: string | null;
}

/** One connector call, with the payment's merchant read from its row (the API wrote it before the workflow started). */
export async function recordAttempt(db: Database, a: AttemptRecord): Promise<void> {
  await db.execute(sql`
    insert into payment_attempts (payment_id, merchant_id, step, route_attempt, connector_account_id, connector, idempotency_key, outcome, latency_ms, error)
    values (${a.paymentId}, coalesce((select merchant_id from payments where id = ${a.paymentId}), ${DEMO_MERCHANT_ID}), ${a.step}, ${a.routeAttempt},
            ${a.connectorAccountId}, ${a.connector}, ${a.idempotencyKey}, ${a.outcome}, ${a.latencyMs}, ${a.error})`);
}
