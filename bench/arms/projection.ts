import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { initialSnapshot, type PaymentSnapshot, type ProjectionEvent } from '../../common/workflow-api.js';
import { paymentStateQuery, projectPaymentState } from '../../db/projection.js';
import type { BenchEnvironment } from '../environment.js';
import { closedLoop } from '../load.js';
import { alternate } from '../alternate.js';
import { percentile, ratioOfMedians } from '../stats.js';

interface Sample {
  perSecond: number;
  p99: number;
}

/**
 * 6. Projection cost: our projection (Drizzle's statement, compiled once and bound per call) against raw pg
 * sending the very same text and values unnamed (B-pg).
 */
export async function measureProjection(env: BenchEnvironment, plan: { writes: number; reps: number }) {
  const { db, pool } = env.database;
  const event: ProjectionEvent = { type: 'payment.created', details: {} };
  const drizzleWrite = (s: PaymentSnapshot) => projectPaymentState(db, s, event);
  const rawWrite = async (s: PaymentSnapshot) => {
    const { text, values } = paymentStateQuery(db, s, event);
    await pool.query(text, values);
  };
  const measure = async (write: (s: PaymentSnapshot) => Promise<unknown>): Promise<Sample> => {
    const started = performance.now();
    const latencies = await closedLoop(plan.writes, 8, async () => {
      const s = snapshot();
      const t = performance.now();
      await write(s);
      return performance.now() - t;
    });
    return { perSecond: plan.writes / ((performance.now() - started) / 1000), p99: percentile(latencies, 99) };
  };
  const { drizzle, raw } = await alternate(
    { drizzle: () => measure(drizzleWrite), raw: () => measure(rawWrite) },
    { reps: plan.reps, warmUp: true },
  );
  return {
    throughputRatio: ratioOfMedians(
      drizzle.map((s) => s.perSecond),
      raw.map((s) => s.perSecond),
    ),
    p99Ratio: ratioOfMedians(
      drizzle.map((s) => s.p99),
      raw.map((s) => s.p99),
    ),
    drizzle,
    raw,
  };
}

/** A payment's first state, outside any merchant's view (its own merchant row is not needed: no FK). */
function snapshot(): PaymentSnapshot {
  const id = newPaymentId();
  return initialSnapshot(
    {
      paymentId: id,
      merchantId: 'mer_bench_projection',
      paymentMethodId: null,
      reference: paymentReference(id),
      amount: 1,
      currency: 'EUR',
      delaySeconds: 0,
      webhookUrl: null,
      data: {},
      description: null,
      createdAt: paymentCreatedAt(id),
    },
    'run',
  );
}
