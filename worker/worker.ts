import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import type { Tracing } from '../common/tracing.js';
import { StartupError } from '../common/startup-error.js';
import { parseCidrList } from '../common/url-guard.js';
import type { Database } from '../db/client.js';
import { describeTemporalConnection, type TemporalConnectionSettings } from '../runtime/temporal-connection.js';
import { createActivities, type Activities } from './activities/index.js';
import { guardedWebhookFetch } from './activities/webhook.js';
import { createSimulatorConnector } from './connectors/simulator.js';
import { processorOptions } from './connectors/processors.js';
import { loadKeyring } from '../common/credential-box.js';
import type { Connector } from './connectors/connector.js';

/**
 * `npm run build` writes the bundle beside the built worker; run from sources (tsx), the worker
 * bundles the workflow code at start instead (a few seconds).
 */
export const PREBUILT_BUNDLE = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.js', import.meta.url));

export interface PaymentWorkerOptions {
  config: Config;
  logger: Logger;
  /** Where and how to reach Temporal (runtime/temporal-connection.ts). */
  temporal: TemporalConnectionSettings;
  db: Database;
  gateway?: Connector;
  /** Path of a prebuilt workflow bundle; defaults to dist/workflow-bundle.js when present. */
  bundlePath?: string;
  /** Identity shown in Temporal (defaults to pid@host). */
  identity?: string;
  /** Tracing; its workflow interceptors must be bundled, so the worker then bundles at start. */
  tracing?: Tracing;
  /** Fault injection for tests: wraps the real activities. */
  wrapActivities?: (activities: Activities) => Activities;
}

export interface RunningWorker {
  worker: Worker;
  /** Stops polling, lets in-flight tasks finish, closes the connection. */
  stop(): Promise<void>;
  /** Settles when the worker stops, rejecting if it crashed. */
  done: Promise<void>;
}

export async function startPaymentWorker(options: PaymentWorkerOptions): Promise<RunningWorker> {
  const { config, db } = options;
  installRuntimeOnce(config, options.logger);
  const connection = await NativeConnection.connect(options.temporal).catch((err: Error) => {
    throw new StartupError(`cannot reach Temporal at ${describeTemporalConnection(options.temporal)}: ${err.message.split('\n')[0]}`);
  });
  const bundlePath = options.tracing ? undefined : (options.bundlePath ?? (existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined));
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: resolveWorkflowsPath() };
  // The same master keys as the API's (or the same development key under `npm start`).
  const keyring = await loadKeyring(config, options.logger);
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(options.identity ? { identity: options.identity } : {}),
    ...workflowSource,
    activities: (options.wrapActivities ?? ((a: Activities) => a))(
      createActivities({
        db,
        gateway: options.gateway ?? createSimulatorConnector({ db, latencyMs: config.GATEWAY_LATENCY_MS }),
        breakerResetMs: config.CONNECTOR_BREAKER_RESET_MS,
        ...processorOptions(config, keyring),
        fetch: guardedWebhookFetch(parseCidrList(config.WEBHOOK_ALLOWED_CIDRS)),
        webhooks: {
          schedule: config.WEBHOOK_RETRY_SCHEDULE,
          timeoutMs: config.WEBHOOK_TIMEOUT_MS,
          disableAfterMs: config.WEBHOOK_DISABLE_AFTER,
        },
      }),
    ),
    ...workerTuning(config),
    plugins: options.tracing ? [options.tracing.plugin] : [],
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/** The options that decide a worker's capacity; the benchmark's bare worker runs with the same. */
export function workerTuning(config: Config) {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    shutdownGraceTime: '10s',
    // Whatever is stuck (a local activity retrying, an activity ignoring cancellation), the worker
    // gives up after this, so a process stop stays bounded.
    shutdownForceTime: '12s',
  } satisfies Partial<WorkerOptions>;
}

/** Under tsx the sources are .ts; from dist they are .js. */
function resolveWorkflowsPath(): string {
  return existsSync(WORKFLOWS_PATH) ? WORKFLOWS_PATH : WORKFLOWS_PATH.replace(/\.js$/, '.ts');
}

let runtimeInstalled = false;

/**
 * Routes the SDK's logs (workflow, activity and core lines, with their workflow and activity ids)
 * into the process's structured logger, and exposes the SDK's metrics when asked.
 */
function installRuntimeOnce(config: Config, logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // The SDK logs every bundle and poll at INFO; its own lines start at WARN unless debugging.
  const level: LogLevel = config.LOG_LEVEL === 'debug' ? 'DEBUG' : config.LOG_LEVEL === 'info' ? 'INFO' : 'WARN';
  const toPino = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  try {
    Runtime.install({
      // The process owns its signals (ordered shutdown); the SDK must not stop workers on its own.
      shutdownSignals: [],
      logger: new DefaultLogger(level, (entry) => {
        if (entry.meta?.sdkComponent === 'worker' && entry.level === 'INFO' && !entry.meta?.activityType && !entry.meta?.workflowType)
          return;
        logger[toPino[entry.level]]({ ...entry.meta }, entry.message);
      }),
      ...(config.TEMPORAL_SDK_METRICS_PORT
        ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.TEMPORAL_SDK_METRICS_PORT}` } } } }
        : {}),
    });
  } catch {
    // Already installed by the host process (tests): keep its settings.
  }
}
