import { createApiApp, listen } from '../api/server.js';
import { PaymentChangeFeed } from '../api/payment-changes.js';
import { connectTemporalClient } from '../api/temporal-client.js';
import { runCli } from '../common/cli.js';
import { parseConfig, temporalUiUrl } from '../common/config.js';
import { createLogger } from '../common/logger.js';
import { createTracing } from '../common/tracing.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { startPaymentWorker } from '../worker/worker.js';
import { ensureDemoKey } from './demo-merchant.js';
import { startServices } from './embedded-services.js';
import { shutdownOnSignal } from './shutdown.js';
import { dashboardHandler, ensureDashboardBuilt } from '../web/serve.js';

/**
 * `npm start`: Postgres and Temporal (embedded unless the environment names them), migrations,
 * the worker, the API and the dashboard, in one process tree that Ctrl-C stops in order.
 */
const shutdown = shutdownOnSignal();
await runCli(async () => {
  const config = parseConfig();
  const logger = createLogger(config);
  const tracing = createTracing(config);
  const started = Date.now();
  try {
    // The dashboard builds (first start only) while the services start.
    const built = ensureDashboardBuilt().then(() => undefined, (err: unknown) => err);
    const services = await startServices(config);
    shutdown.add(services.stop);
    shutdown.addLastResort(services.kill);
    const buildError = await built;
    if (buildError) throw buildError;
    if (tracing) shutdown.add(tracing.shutdown);
    const database = await connectDatabase(services.databaseUrl, config.DATABASE_POOL_SIZE);
    shutdown.add(database.close);
    await runMigrations(database.db);
    const demoKey = config.ANONYMOUS_AS_DEMO ? await ensureDemoKey(database.db, config.DATA_DIR) : undefined;

    const worker = await startPaymentWorker({ config, logger, tracing, temporalAddress: services.temporalAddress, db: database.db });
    shutdown.add(worker.stop);
    worker.done.catch((err) => {
      console.error('worker stopped unexpectedly:', err);
      process.kill(process.pid, 'SIGTERM');
    });

    const temporal = await connectTemporalClient(services.temporalAddress, config.TEMPORAL_NAMESPACE, tracing ? [tracing.plugin] : []);
    shutdown.add(() => temporal.connection.close());
    const changes = new PaymentChangeFeed(database.pool);
    shutdown.add(() => changes.close());
    const api = await listen(createApiApp({ config, logger, db: database.db, temporal, changes }), config.PORT, config.HOST);
    shutdown.add(api.close);
    // The dashboard's server side calls this process's API at API_URL.
    process.env.API_URL ??= api.url;
    const web = await listen(await dashboardHandler(), config.WEB_PORT, config.HOST, 'WEB_PORT');
    shutdown.add(web.close);

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      [
        '',
        `Payments is running (started in ${seconds} s)`,
        `  API          ${api.url}   (tRPC at ${api.url}/trpc, health at ${api.url}/healthz)`,
        `  Dashboard    ${web.url}`,
        `  Temporal UI  ${config.TEMPORAL_ADDRESS ? temporalUiUrl(config) : `http://localhost:${config.TEMPORAL_UI_PORT}`}`,
        `  API docs     ${api.url}/api/v1/docs`,
        ...services.embedded.map((line) => `  ${line}`),
        ...(demoKey
          ? [`  Demo merchant key: ${demoKey}`, '  (embedded mode: requests without a key act as the demo merchant; set ANONYMOUS_AS_DEMO=false to require keys)']
          : []),
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    await shutdown.run();
    throw err;
  }
});
