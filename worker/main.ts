import type { IncomingMessage, ServerResponse } from 'node:http';
import { runCli } from '../common/cli.js';
import { parseConfig, databaseUrl, temporalAddress } from '../common/config.js';
import { listen } from '../api/server.js';
import { createLogger } from '../common/logger.js';
import { createTracing } from '../common/tracing.js';
import { registry } from '../common/metrics.js';
import { connectDatabase } from '../db/client.js';
import { onShutdownSignal } from '../dev/shutdown.js';
import { startPaymentWorker } from './worker.js';

/** A worker alone, against the Postgres and Temporal the environment names. */
await runCli(async () => {
  const config = parseConfig();
  const logger = createLogger(config);
  const tracing = createTracing(config);
  const database = await connectDatabase(databaseUrl(config), config.DATABASE_POOL_SIZE);
  const worker = await startPaymentWorker({ config, logger, tracing, temporalAddress: temporalAddress(config), db: database.db });
  const metrics = await listen(metricsListener, config.WORKER_METRICS_PORT, config.HOST, 'WORKER_METRICS_PORT');
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: temporalAddress(config), metrics: `${metrics.url}/metrics` }, 'worker polling');
  onShutdownSignal(async () => {
    await worker.stop();
    await metrics.close();
    await database.close();
    await tracing?.shutdown();
  });
  await worker.done;
});

/** The worker's own /metrics (the API serves the same registry when both share a process). */
async function metricsListener(req: IncomingMessage, res: ServerResponse) {
  if (req.url !== '/metrics') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
}
