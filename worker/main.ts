import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from '../api/server.js';
import { runCli } from '../common/cli.js';
import { databaseUrl, parseConfig, temporalAddress } from '../common/config.js';
import { createLogger } from '../common/logger.js';
import { metricsAuthorized, registry } from '../common/metrics.js';
import { createTracing } from '../common/tracing.js';
import { connectDatabase } from '../db/client.js';
import { shutdownOnSignal } from '../dev/shutdown.js';
import { startPaymentWorker } from './worker.js';

/** A worker alone, against the Postgres and Temporal the environment names. */
const shutdown = shutdownOnSignal();
await runCli(async () => {
  const config = parseConfig();
  const logger = createLogger(config);
  const tracing = createTracing(config);
  if (tracing) shutdown.add(tracing.shutdown);
  const database = await connectDatabase(databaseUrl(config), config.DATABASE_POOL_SIZE);
  shutdown.add(database.close);
  const worker = await startPaymentWorker({ config, logger, tracing, temporalAddress: temporalAddress(config), db: database.db });
  shutdown.add(worker.stop);
  const metrics = await listen(metricsListener(config.METRICS_TOKEN), config.WORKER_METRICS_PORT, config.HOST, 'WORKER_METRICS_PORT');
  shutdown.add(metrics.close);
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: temporalAddress(config), metrics: `${metrics.url}/metrics` }, 'worker polling');
  await worker.done;
}).finally(shutdown.run);

/** The worker's own /metrics (the API serves the same registry when both share a process). */
function metricsListener(token: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    if (!metricsAuthorized(req.headers.authorization, token)) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  };
}
