import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../api/router.js';
import { parseConfig } from '../common/config.js';
import type { DatabaseHandle } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { GO_TOOLS } from '../dev/go-tools.js';
import { startTemporalCluster } from '../dev/temporal-cluster.js';
import { startThrowawayServices } from '../dev/throwaway-services.js';
import { openSystem } from '../runtime/system.js';
import { ProcessGroup, ensureBuilt, waitFor } from '../test/process-group.js';
import { WebhookSink } from './sink.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
export const PAYMENTS_QUEUE = 'bench-payments';
export const BARE_QUEUE = 'bench-bare';
/** The simulator's latency per gateway call; B0's charge waits the same for its two calls. */
export const GATEWAY_LATENCY_MS = 5;
/** The default; both workers run with it. */
export const WORKER_CACHE = 1000;

export interface BenchEnvironment {
  database: DatabaseHandle;
  temporal: Client;
  apiUrl: string;
  trpc: ReturnType<typeof createTRPCClient<AppRouter>>;
  sink: WebhookSink;
  api: ChildProcess;
  worker: ChildProcess;
  /** What our processes were started with, for a run that starts more of them. */
  processEnv: Record<string, string>;
  processes: ProcessGroup;
  facts: Record<string, string>;
  stop(): Promise<void>;
}

/** `dev`: the Temporal dev server (one process, SQLite); `cluster`: four Temporal Server processes on Postgres. */
export type BenchEngine = 'dev' | 'cluster';

/**
 * Everything a run needs, as production runs it: Postgres and Temporal (the dev server on a SQLite
 * file with WAL, or the production-shaped cluster), our built API and worker as their own
 * processes, B0's worker as a third with the same tuning, and a webhook sink in this process.
 */
export async function startBenchEnvironment(engine: BenchEngine = 'dev'): Promise<BenchEnvironment> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-bench-'));
  await chmod(scratch, 0o755); // embedded Postgres runs as its own user
  const stops: Array<() => Promise<unknown>> = [() => rm(scratch, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    await ensureBuilt();
    const cluster = engine === 'cluster' ? await startTemporalCluster({ dataDir: path.join(scratch, 'cluster') }) : undefined;
    if (cluster) stops.push(cluster.stop);
    const services = await startThrowawayServices({
      scratch,
      durableTemporal: true,
      ...(cluster ? { temporalAddress: cluster.address } : {}),
    });
    stops.push(services.stop);
    const env = {
      DATABASE_URL: services.databaseUrl,
      TEMPORAL_ADDRESS: services.temporalAddress,
      TEMPORAL_TASK_QUEUE: PAYMENTS_QUEUE,
      ANONYMOUS_AS_DEMO: 'true',
      RATE_LIMIT_PER_MINUTE: '100000000',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
      GATEWAY_LATENCY_MS: String(GATEWAY_LATENCY_MS),
      WORKER_MAX_CACHED_WORKFLOWS: String(WORKER_CACHE),
      // Short, so the refused-webhook arm ends in seconds; the production default spans a day and a half.
      WEBHOOK_RETRY_SCHEDULE: '0,1s,2s,5s,10s,30s',
    };
    // The orchestrator opens the system as the built processes do, from the same values.
    const system = await openSystem(parseConfig({ ...env, LOG_LEVEL: 'error' }), { poolSize: 20 });
    stops.push(system.stop);
    const { database, temporal } = system;
    await runMigrations(database.db);

    const sink = await WebhookSink.start();
    stops.push(() => sink.close());
    const bareBundle = path.join(scratch, 'bare-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(here, 'bare-workflow.ts'), logger: quietLogger });
    await writeFile(bareBundle, code);

    const processes = new ProcessGroup();
    stops.push(async () => {
      processes.killAll('SIGTERM');
      await waitFor(
        async () => processes.children.every((c) => c.exitCode !== null || c.signalCode !== null),
        'bench processes to exit',
        20_000,
      ).catch(() => processes.killAll());
    });
    const api = await processes.startApi(env);
    // SIGUSR2 runs a full garbage collection, so memory samples count what is retained, not garbage.
    const worker = await processes.startWorker(env, [
      '--expose-gc',
      '--import',
      `data:text/javascript,${encodeURIComponent(GC_ON_SIGNAL)}`,
    ]);
    processes.start(path.join(here, 'bare-worker.ts'), { ...env, BARE_TASK_QUEUE: BARE_QUEUE, BARE_BUNDLE: bareBundle }, [
      '--import',
      'tsx',
    ]);

    const trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${api.url}/trpc` })] });
    return {
      database,
      temporal,
      apiUrl: api.url,
      trpc,
      sink,
      api: api.child,
      worker,
      processEnv: env,
      processes,
      facts: await machineFacts(engine, services.temporalCli, database, env),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * SIGUSR2: a full collection in every isolate of the worker, the workflow threads' included (their
 * heaps hold most of what workflows allocate, and a signal reaches only the main thread): through the
 * inspector, attached to each worker thread only for the collection, so no other arm runs with it.
 */
const GC_ON_SIGNAL = `
import inspector from 'node:inspector';
process.on('SIGUSR2', () => {
  globalThis.gc();
  const session = new inspector.Session();
  session.connect();
  const pending = new Set();
  session.on('NodeWorker.attachedToWorker', ({ params: { sessionId } }) => {
    pending.add(sessionId);
    session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }) });
  });
  const done = () => session.disconnect();
  session.on('NodeWorker.receivedMessageFromWorker', ({ params: { sessionId } }) => {
    pending.delete(sessionId);
    if (pending.size === 0) done();
  });
  session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  setTimeout(done, 5000).unref();
});`;

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function machineFacts(
  engine: BenchEngine,
  cli: string | undefined,
  database: DatabaseHandle,
  env: Record<string, string>,
): Promise<Record<string, string>> {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    temporalServerMode:
      engine === 'cluster'
        ? `cluster: frontend, history, matching and worker as 4 processes of Temporal Server ${GO_TOOLS['temporal-server'].version}, Postgres persistence and visibility`
        : `dev server (${cli ? execFileSync(cli, ['--version']).toString().trim() : 'temporal CLI'}), SQLite file, journal_mode=WAL`,
    postgres: String((await database.pool.query('show server_version')).rows[0].server_version),
    temporalSdk: String(pkg.dependencies['@temporalio/worker']),
    drizzle: String(pkg.dependencies['drizzle-orm']),
    gatewayLatencyMs: String(GATEWAY_LATENCY_MS),
    workerTuning: `prebuilt bundle, maxCachedWorkflows ${WORKER_CACHE}, maxConcurrentActivityTaskExecutions 100 (both workers, same code path)`,
    webhookRetrySchedule: env.WEBHOOK_RETRY_SCHEDULE!,
    processes: 'API, worker and B0 worker each in its own Node process; load generator and sink in the orchestrator',
  };
}
