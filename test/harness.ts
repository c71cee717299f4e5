import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createTRPCClient, httpLink } from '@trpc/client';
import { inject } from 'vitest';
import type { AppRouter } from '../api/router.js';
import { parseConfig, type Config } from '../common/config.js';
import { createLogger, type Logger } from '../common/logger.js';
import type { Tracing } from '../common/tracing.js';
import type { DatabaseHandle } from '../db/client.js';
import { serveApi } from '../runtime/api.js';
import { stopSequence } from '../runtime/shutdown.js';
import { openSystem } from '../runtime/system.js';
import { startWorker } from '../runtime/worker.js';
import type { Activities } from '../worker/activities/index.js';
import type { Connector } from '../worker/connectors/connector.js';

let queueCounter = 0;

export interface TestSystem {
  config: Config;
  logger: Logger;
  apiUrl: string;
  trpc: ReturnType<typeof createTRPCClient<AppRouter>>;
  temporal: Client;
  database: DatabaseHandle;
  stop(): Promise<void>;
}

/**
 * A worker and an API on the services started by the global setup, built as the entry points build
 * them. Each system polls its own task queue, so test files never run each other's workflows.
 */
export async function startTestSystem(
  options: {
    env?: Record<string, string>;
    gateway?: (db: DatabaseHandle) => Connector;
    logger?: Logger;
    tracing?: Tracing;
    wrapActivities?: (activities: Activities) => Activities;
  } = {},
): Promise<TestSystem> {
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `test-${process.pid}-${++queueCounter}-${Date.now()}`,
    WEBHOOK_RETRY_SCHEDULE: '0,100ms,100ms,100ms',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8,::1/128',
    LOG_LEVEL: 'warn',
    // As in the embedded mode: tests that do not care about auth act as the demo merchant.
    ANONYMOUS_AS_DEMO: 'true',
    RATE_LIMIT_PER_MINUTE: '100000',
    // Stripe accounts any test (or the fuzzer) adds call stripe-mock, never Stripe; their credentials are
    // sealed with a test key instead of a development key written into the working directory.
    STRIPE_API_URL: inject('stripeApiUrl'),
    CONNECTOR_KEYS: `test:${Buffer.alloc(32, 7).toString('base64')}`,
    ...options.env,
  });
  // Tests wait for a clean stop (a worker may drain stuck activities for up to 12 s), never abandon one.
  const shutdown = stopSequence({ deadlineMs: 60_000 });
  try {
    const system = await openSystem(config, {
      poolSize: 5,
      logger: options.logger ?? createLogger({ LOG_LEVEL: 'error', NODE_ENV: 'test' }),
      tracing: options.tracing,
      shutdown,
    });
    await startWorker(system, {
      gateway: options.gateway?.(system.database),
      wrapActivities: options.wrapActivities,
      bundlePath: inject('workflowBundlePath'),
    });
    const api = await serveApi(system, { port: 0, host: '127.0.0.1' });
    const trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${api.url}/trpc` })] });
    return {
      config,
      logger: system.logger,
      apiUrl: api.url,
      trpc,
      temporal: system.temporal,
      database: system.database,
      async stop() {
        if (!(await shutdown.run())) throw new Error('the test system did not stop cleanly (see the shutdown lines above)');
      },
    };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}

export { waitFor } from './process-group.js';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  raw: string;
  receivedAt: number;
}

/**
 * A local HTTP receiver. `received` holds the deliveries it accepted (2xx), `all` every request;
 * `respond` decides each answer's status (and may add headers).
 */
/** A REST caller for one API: JSON in and out, with headers every call carries (an API key) and per-call extras. */
export function restCaller(apiUrl: string, always: Record<string, string> = {}) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { ...always, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as any, text };
  };
}

export async function startWebhookReceiver(
  respond: (n: number, body: Record<string, unknown>) => number | { status: number; headers: Record<string, string> } = () => 200,
) {
  const received: ReceivedWebhook[] = [];
  const all: Array<ReceivedWebhook & { status: number }> = [];
  let calls = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw);
      } catch {
        // Not JSON: `respond` sees an empty body.
      }
      calls += 1;
      const answer = respond(calls, body);
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      const record = { headers: req.headers, body, raw, receivedAt: Date.now() };
      all.push({ ...record, status });
      if (status >= 200 && status < 300) received.push(record);
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    all,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
