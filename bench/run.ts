/**
 * `npm run bench [-- --quick]`: our overhead on top of bare Temporal, measured side by side in one run.
 * Every figure is a ratio against a baseline run in the same process, arms alternating A/B/A/B after a
 * discarded warm-up, medians over repetitions. Writes bench/results/<time>.{json,md} and bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createTRPCClient, httpLink } from '@trpc/client';
import { PaymentChangeFeed } from '../api/payment-changes.js';
import type { AppRouter } from '../api/router.js';
import { createApiApp, listen } from '../api/server.js';
import { parseConfig } from '../common/config.js';
import { createLogger } from '../common/logger.js';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../common/payment-id.js';
import { PAYMENT_WORKFLOW_TYPE, initialSnapshot, type PaymentSnapshot } from '../common/workflow-api.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { paymentUpsert, projectPaymentState, timelineInsert } from '../db/projection.js';
import { subscribedEndpoints } from '../db/webhook-messages.js';
import { startEmbeddedPostgres } from '../dev/embedded-postgres.js';
import { freePort } from '../dev/ports.js';
import { findOrInstallTemporalCli } from '../dev/temporal-cli.js';
import { startTemporalDevServer } from '../dev/temporal-dev-server.js';
import { startPaymentWorker } from '../worker/worker.js';
import * as bareActivities from './bare-activities.js';
import { median, openLoad, percentile, round } from './stats.js';

const QUICK = process.argv.includes('--quick');
const REPS = 3;
const here = path.dirname(fileURLToPath(import.meta.url));
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-bench-'));
await chmod(scratch, 0o755);
const stops: Array<() => Promise<unknown>> = [];
try {
  const pg = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'pg'), port: await freePort() });
  stops.push(pg.stop);
  const temporalServer = await startTemporalDevServer({ cli: await findOrInstallTemporalCli(), port: await freePort(), dbFile: path.join(scratch, 'temporal.db') });
  stops.push(temporalServer.stop);
  const database = await connectDatabase(pg.url, 20);
  stops.push(database.close);
  await runMigrations(database.db);

  const config = parseConfig({ DATABASE_URL: pg.url, TEMPORAL_ADDRESS: temporalServer.address, TEMPORAL_TASK_QUEUE: 'bench-payments', LOG_LEVEL: 'error', ANONYMOUS_AS_DEMO: 'true', RATE_LIMIT_PER_MINUTE: '10000000', WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8' });
  const logger = createLogger({ LOG_LEVEL: 'error', NODE_ENV: 'production' });
  // Both workers use a prebuilt bundle and identical options.
  const [paymentBundle, bareBundle] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: path.join(here, '../worker/workflows/index.ts'), logger: silent }),
    bundleWorkflowCode({ workflowsPath: path.join(here, 'bare-workflow.ts'), logger: silent }),
  ]);
  const bundleFile = path.join(scratch, 'payment-bundle.js');
  await writeFile(bundleFile, paymentBundle.code);
  const ours = await startPaymentWorker({ config, logger, temporalAddress: temporalServer.address, db: database.db, bundlePath: bundleFile });
  stops.push(ours.stop);
  const native = await NativeConnection.connect({ address: temporalServer.address });
  const bare = await Worker.create({ connection: native, taskQueue: 'bench-bare', workflowBundle: { code: bareBundle.code }, activities: bareActivities, maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS, maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES });
  const bareRun = bare.run();
  stops.push(async () => {
    bare.shutdown();
    await bareRun;
  });
  const connection = await Connection.connect({ address: temporalServer.address });
  stops.push(() => connection.close());
  const client = new Client({ connection });
  const changes = new PaymentChangeFeed(database.pool);
  stops.push(() => changes.close());
  const api = await listen(createApiApp({ config, logger, db: database.db, temporal: client, changes }), 0, '127.0.0.1');
  stops.push(api.close);
  const trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${api.url}/trpc` })] });

  // A webhook sink that records when each payment's final webhook arrived.
  const received = new Map<string, number>();
  const sink = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { payment_id } = JSON.parse(body) as { payment_id: string };
      received.set(payment_id, performance.now());
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  stops.push(() => new Promise((r) => sink.close(r)));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;

  const results: Record<string, unknown> = {};
  const log = (line: string) => console.log(line);

  // ── 6. Projection cost: Drizzle vs raw pg running the same SQL ──────────────────────────────
  const snapshotFor = (version: number): PaymentSnapshot => {
    const id = newPaymentId();
    return { ...initialSnapshot({ paymentId: id, merchantId: 'mer_demo', paymentMethodId: null, reference: paymentReference(id), amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: null, data: { n: version }, description: null, createdAt: paymentCreatedAt(id) }, 'run'), version };
  };
  const event = { type: 'payment.created' as const, details: {} };
  const drizzleWrite = (s: PaymentSnapshot) => projectPaymentState(database.db, s, event);
  const rawWrite = async (s: PaymentSnapshot) => {
    const statements = [paymentUpsert(database.db, s).toSQL(), timelineInsert(database.db, s, event).toSQL(), subscribedEndpoints(database.db, s.merchantId, event.type).toSQL()];
    const conn = await database.pool.connect();
    try {
      await conn.query('begin');
      for (const q of statements) await conn.query(q.sql, q.params as unknown[]);
      await conn.query('commit');
    } finally {
      conn.release();
    }
  };
  const writes = QUICK ? 400 : 3000;
  const measureWrites = async (write: (s: PaymentSnapshot) => Promise<unknown>) => {
    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < writes) {
          next += 1;
          const s = snapshotFor(1);
          const t = performance.now();
          await write(s);
          latencies.push(performance.now() - t);
        }
      }),
    );
    return { perSecond: writes / ((performance.now() - started) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  };
  await measureWrites(drizzleWrite); // warm-up, discarded
  await measureWrites(rawWrite);
  const projection = { drizzle: [] as Array<Awaited<ReturnType<typeof measureWrites>>>, raw: [] as Array<Awaited<ReturnType<typeof measureWrites>>> };
  for (let rep = 0; rep < REPS; rep++) {
    projection.drizzle.push(await measureWrites(drizzleWrite));
    projection.raw.push(await measureWrites(rawWrite));
  }
  results.projection = {
    throughputRatio: round(median(projection.drizzle.map((r) => r.perSecond)) / median(projection.raw.map((r) => r.perSecond))),
    p99Ratio: round(median(projection.drizzle.map((r) => r.p99)) / median(projection.raw.map((r) => r.p99))),
    drizzle: projection.drizzle,
    raw: projection.raw,
  };
  log(`projection: ${JSON.stringify(results.projection)}`);

  // ── 2. Temporal work per payment: history events vs a minimal design (B0) ─────────────────────
  const ourPayment = await trpc.payments.create.mutate({ amount: 100, currency: 'EUR', delaySeconds: 0, webhookUrl: sinkUrl });
  await client.workflow.getHandle(ourPayment.id).result();
  const bareHandle = await client.workflow.start('bareWorkflow', { taskQueue: 'bench-bare', workflowId: `bare-${Date.now()}`, args: [0] });
  await bareHandle.result();
  const ourEvents = (await client.workflow.getHandle(ourPayment.id).describe()).historyLength;
  const bareEvents = (await bareHandle.describe()).historyLength;
  results.history = { ours: ourEvents, bare: bareEvents, ratio: round(ourEvents / bareEvents) };
  log(`history: ${JSON.stringify(results.history)}`);

  // ── 3. API overhead: REST and tRPC create vs plain client.workflow.start (open model) ─────────
  const rate = QUICK ? 20 : 40;
  const seconds = QUICK ? 5 : 20;
  const direct = async () => {
    const id = newPaymentId();
    await client.workflow.start(PAYMENT_WORKFLOW_TYPE, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId: id,
      args: [{ paymentId: id, merchantId: 'mer_demo', paymentMethodId: null, reference: paymentReference(id), amount: 1, currency: 'EUR', delaySeconds: 3600, webhookUrl: null, data: {}, description: null, createdAt: paymentCreatedAt(id) }],
    });
  };
  const rest = async () => {
    const res = await fetch(`${api.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 1, currency: 'EUR', delaySeconds: 3600 }) });
    if (res.status !== 200) throw new Error(String(res.status));
  };
  const viaTrpc = () => trpc.payments.create.mutate({ amount: 1, currency: 'EUR', delaySeconds: 3600 });
  await openLoad(rate, 2, direct);
  await openLoad(rate, 2, rest);
  const create = { direct: [] as number[][], rest: [] as number[][], trpc: [] as number[][] };
  let createErrors = 0;
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, send] of [['direct', direct], ['rest', rest], ['trpc', viaTrpc]] as const) {
      const r = await openLoad(rate, seconds, send);
      createErrors += r.errors;
      create[name].push([percentile(r.latencies, 50), percentile(r.latencies, 99)]);
    }
  }
  const ratio = (arm: number[][], base: number[][], i: number) => round(median(arm.map((x) => x[i]!)) / median(base.map((x) => x[i]!)));
  results.create = {
    ratePerSecond: rate,
    errors: createErrors,
    restP50Ratio: ratio(create.rest, create.direct, 0),
    restP99Ratio: ratio(create.rest, create.direct, 1),
    trpcP50Ratio: ratio(create.trpc, create.direct, 0),
    trpcP99Ratio: ratio(create.trpc, create.direct, 1),
    msP50: { direct: round(median(create.direct.map((x) => x[0]!))), rest: round(median(create.rest.map((x) => x[0]!))), trpc: round(median(create.trpc.map((x) => x[0]!))) },
  };
  log(`create: ${JSON.stringify(results.create)}`);

  // ── 1. End to end: closed-loop burst, accepted → webhook received, vs B0 workflows/s ──────────
  const burst = QUICK ? 100 : 500;
  const oursBurst = async () => {
    received.clear();
    const started = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < burst; i += 20) {
      ids.push(...(await Promise.all(Array.from({ length: Math.min(20, burst - i) }, async () => (await trpc.payments.create.mutate({ amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: sinkUrl })).id))));
    }
    const deadline = Date.now() + 300_000;
    while (ids.some((id) => !received.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const delivered = ids.filter((id) => received.has(id)).length;
    return { perSecond: delivered / ((Math.max(...ids.map((id) => received.get(id) ?? 0)) - started) / 1000), delivered };
  };
  const bareBurst = async () => {
    const started = performance.now();
    const handles = [];
    for (let i = 0; i < burst; i += 20) {
      handles.push(...(await Promise.all(Array.from({ length: Math.min(20, burst - i) }, (_, j) => client.workflow.start('bareWorkflow', { taskQueue: 'bench-bare', workflowId: `bare-${Date.now()}-${i + j}-${Math.random()}`, args: [0] })))));
    }
    await Promise.all(handles.map((h) => h.result()));
    return { perSecond: burst / ((performance.now() - started) / 1000), delivered: burst };
  };
  await bareBurst();
  await oursBurst();
  const e2e = { ours: [] as Array<{ perSecond: number; delivered: number }>, bare: [] as Array<{ perSecond: number; delivered: number }> };
  for (let rep = 0; rep < REPS; rep++) {
    e2e.bare.push(await bareBurst());
    e2e.ours.push(await oursBurst());
  }
  const complete = e2e.ours.every((r) => r.delivered === burst);
  results.endToEnd = {
    burst,
    complete,
    ratio: complete ? round(median(e2e.ours.map((r) => r.perSecond)) / median(e2e.bare.map((r) => r.perSecond))) : null,
    oursPerSecond: e2e.ours.map((r) => round(r.perSecond)),
    barePerSecond: e2e.bare.map((r) => round(r.perSecond)),
  };
  log(`end to end: ${JSON.stringify(results.endToEnd)}`);

  // ── Facts and report ──────────────────────────────────────────────────────────────────────────
  const pkg = JSON.parse(await readFile(path.join(here, '../package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const facts = {
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
    node: process.version,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    temporalCli: execFileSync(await findOrInstallTemporalCli(), ['--version']).toString().trim(),
    postgres: (await database.pool.query('show server_version')).rows[0].server_version,
    temporalSdk: String(pkg.dependencies['@temporalio/worker']),
    drizzle: String(pkg.dependencies['drizzle-orm']),
    temporalServerMode: 'dev server, SQLite file, journal_mode=WAL',
  };
  const report = renderReport(facts, results);
  await mkdir(path.join(here, 'results'), { recursive: true });
  const stamp = facts.date.replace(/[:.]/g, '-');
  await writeFile(path.join(here, 'results', `${stamp}.json`), JSON.stringify({ facts, results }, null, 2));
  await writeFile(path.join(here, 'results', `${stamp}.md`), report);
  if (!QUICK) await copyFile(path.join(here, 'results', `${stamp}.md`), path.join(here, 'RESULTS.md'));
  console.log(`\n${report}`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await rm(scratch, { recursive: true, force: true });
}
process.exit(0);

function renderReport(facts: Record<string, string>, r: Record<string, any>): string {
  const met = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : '**not met**');
  const rows = [
    ['1. End-to-end throughput vs B0 (≥ 0.70)', r.endToEnd.ratio, met(r.endToEnd.ratio === null ? null : r.endToEnd.ratio >= 0.7)],
    ['2. History events per payment vs minimal (≤ 1.5)', r.history.ratio, met(r.history.ratio <= 1.5)],
    ['3. REST create p50 / p99 vs B-direct (≤ 1.2 / ≤ 1.5)', `${r.create.restP50Ratio} / ${r.create.restP99Ratio}`, met(r.create.restP50Ratio <= 1.2 && r.create.restP99Ratio <= 1.5)],
    ['3. tRPC create p50 / p99 vs B-direct (≤ 1.2 / ≤ 1.5)', `${r.create.trpcP50Ratio} / ${r.create.trpcP99Ratio}`, met(r.create.trpcP50Ratio <= 1.2 && r.create.trpcP99Ratio <= 1.5)],
    ['6. Projection throughput / p99 vs raw pg (≥ 0.90 / ≤ 1.2)', `${r.projection.throughputRatio} / ${r.projection.p99Ratio}`, met(r.projection.throughputRatio >= 0.9 && r.projection.p99Ratio <= 1.2)],
    ['4. Read model vs visibility', '—', met(null)],
    ['5. Webhook latency vs B0 activity', '—', met(null)],
    ['7. Sleeping payments memory', '—', met(null)],
  ];
  return [
    `# Benchmark results (${facts.mode} run)`,
    '',
    Object.entries(facts).map(([k, v]) => `- ${k}: ${v}`).join('\n'),
    '',
    '| target | ratio (median of 3) | status |',
    '|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Create latency p50 (ms): direct ${r.create.msP50.direct}, REST ${r.create.msP50.rest}, tRPC ${r.create.msP50.trpc} at ${r.create.ratePerSecond}/s (open model), errors: ${r.create.errors}.`,
    `End to end (burst of ${r.endToEnd.burst}): ours ${r.endToEnd.oursPerSecond.join(', ')} payments/s, B0 ${r.endToEnd.barePerSecond.join(', ')} workflows/s; every webhook received: ${r.endToEnd.complete}.`,
    `History: ${r.history.ours} events per payment (delay 0, with webhook) vs ${r.history.bare} for B0.`,
    '',
  ].join('\n');
}
