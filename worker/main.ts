import type { IncomingMessage, ServerResponse } from 'node:http';
import { runCli } from '../common/cli.js';
import { parseConfig } from '../common/config.js';
import { metricsAuthorized, registry } from '../common/metrics.js';
import { listen } from '../runtime/listen.js';
import { shutdownOnSignal } from '../runtime/shutdown.js';
import { openSystem } from '../runtime/system.js';
import { startWorker } from '../runtime/worker.js';

/** A worker alone, against the Postgres and Temporal the environment names. */
const shutdown = shutdownOnSignal();
await runCli(async () => {
  const config = parseConfig();
  const system = await openSystem(config, { shutdown });
  const worker = await startWorker(system);
  const metrics = await listen(metricsListener(config.METRICS_TOKEN), config.WORKER_METRICS_PORT, config.HOST, 'WORKER_METRICS_PORT');
  shutdown.add(metrics.close);
  system.logger.info(
    { taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: system.temporalAddress, metrics: `${metrics.url}/metrics` },
    'worker polling',
  );
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
