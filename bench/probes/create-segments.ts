/**
 * `node --import tsx bench/probes/create-segments.ts [--engine cluster]`: where a create's time goes.
 * On the bench's environment, one call at a time, each arm for a while, arms alternating (ABBA):
 * the HTTP hop alone (`/healthz`), a small authenticated read through the whole pipeline on both doors
 * (`/api/v1/me`, `merchants.me`), the start alone (`client.workflow.start`, as B-direct), the first-state
 * write alone (the projection statement), and whole creates through REST and tRPC; plus the API's own
 * CPU per create, from /proc.
 */
import { parseArgs } from 'node:util';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { initialSnapshot } from '../../common/workflow-api.js';
import { projectPaymentState } from '../../db/projection.js';
import { alternate } from '../alternate.js';
import { cpuSeconds } from '../arms/sleeping.js';
import { startBenchEnvironment, type BenchEngine } from '../environment.js';
import { repeatFor } from '../load.js';
import { RunLedger, createPayment } from '../payments.js';
import { percentile, round } from '../stats.js';

const { values: args } = parseArgs({ options: { engine: { type: 'string', default: 'dev' }, seconds: { type: 'string', default: '3' } } });
const env = await startBenchEnvironment(args.engine as BenchEngine);
try {
  const ledger = new RunLedger();
  const body = { amount: 1, currency: 'EUR', delaySeconds: 3600 };
  const ok = async (res: Response) => {
    if (res.status !== 200) throw new Error(`answered ${res.status}`);
    await res.arrayBuffer();
  };
  const write = () => {
    const id = newPaymentId();
    const fields = {
      paymentId: id,
      merchantId: 'mer_bench_probe',
      paymentMethodId: null,
      reference: paymentReference(id),
      amount: 1,
      currency: 'EUR',
      delaySeconds: 3600,
      webhookUrl: null,
      data: {},
      description: null,
      createdAt: paymentCreatedAt(id),
    };
    return projectPaymentState(env.database.db, initialSnapshot(fields, 'run'), { type: 'payment.created', details: {} });
  };
  const segments = {
    http: () => fetch(`${env.apiUrl}/healthz`).then(ok),
    restRead: () => fetch(`${env.apiUrl}/api/v1/me`).then(ok),
    trpcRead: () => env.trpc.merchants.me.query(),
    start: () => createPayment(env, ledger, 'direct', body),
    write,
    restCreate: () => createPayment(env, ledger, 'rest', body),
    trpcCreate: () => createPayment(env, ledger, 'trpc', body),
  };
  type Segment = keyof typeof segments;
  const windowMs = Number(args.seconds) * 1000;
  const measured = await alternate(
    Object.fromEntries(
      Object.entries(segments).map(([name, call]) => [
        name,
        async () => {
          const cpuBefore = await cpuSeconds(env.api);
          const latencies = await repeatFor(windowMs, call);
          return {
            p50: percentile(latencies, 50),
            p99: percentile(latencies, 99),
            calls: latencies.length,
            apiCpu: (await cpuSeconds(env.api)) - cpuBefore,
          };
        },
      ]),
    ) as Record<Segment, () => Promise<{ p50: number; p99: number; calls: number; apiCpu: number }>>,
    { reps: 4, warmUp: true },
  );
  const median = (values: number[]) => round(percentile(values, 50), 2);
  const table = Object.fromEntries(
    (Object.keys(segments) as Segment[]).map((name) => {
      const runs = measured[name];
      return [
        name,
        {
          p50Ms: median(runs.map((r) => r.p50)),
          p99Ms: median(runs.map((r) => r.p99)),
          apiCpuMsPerCall: median(runs.map((r) => (r.apiCpu * 1000) / r.calls)),
        },
      ];
    }),
  );
  console.log(JSON.stringify({ engine: args.engine, table }, null, 2));
} finally {
  await env.stop();
}
process.exit(0);
