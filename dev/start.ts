import { runCli } from '../common/cli.js';
import { parseConfig, temporalUiUrl } from '../common/config.js';
import { runMigrations } from '../db/migrate.js';
import { serveApi } from '../runtime/api.js';
import { shutdownOnSignal } from '../runtime/shutdown.js';
import { openSystem } from '../runtime/system.js';
import { startWorker } from '../runtime/worker.js';
import { ensureDashboardBuilt, startDashboard } from '../web/serve.js';
import { ensureDemoKey } from './demo-merchant.js';
import { startServices } from './embedded-services.js';
import { startStripeMockForMerchants } from './stripe-mock.js';

/**
 * `npm start`: Postgres and Temporal (embedded unless the environment names them), migrations,
 * the worker, the API and the dashboard, in one process tree that Ctrl-C stops in order.
 */
const shutdown = shutdownOnSignal();
await runCli(async () => {
  const config = parseConfig();
  const started = Date.now();
  try {
    // The dashboard builds (first start only) while the services start.
    const built = ensureDashboardBuilt().then(
      () => undefined,
      (err: unknown) => err,
    );
    const services = await startServices(config);
    shutdown.add(services.stop);
    shutdown.addLastResort(services.kill);
    const buildError = await built;
    if (buildError) throw buildError;
    const opened = await openSystem(config, { shutdown, databaseUrl: services.databaseUrl, temporalAddress: services.temporalAddress });
    await runMigrations(opened.database.db);
    // The embedded mode's Stripe: stripe-mock, when a merchant has a Stripe connector account.
    const stripeMock = config.DATABASE_URL ? undefined : await startStripeMockForMerchants(opened.database.db, config);
    if (stripeMock) shutdown.add(stripeMock.stop);
    const system = stripeMock ? { ...opened, config: { ...opened.config, STRIPE_API_URL: stripeMock.url } } : opened;
    const demoKey = config.ANONYMOUS_AS_DEMO ? await ensureDemoKey(system.database.db, config.DATA_DIR) : undefined;

    const worker = await startWorker(system);
    worker.done.catch((err) => {
      console.error('worker stopped unexpectedly:', err);
      process.kill(process.pid, 'SIGTERM');
    });
    const api = await serveApi(system, { port: config.PORT, host: config.HOST });
    // The dashboard's server side calls this process's API (API_URL resolves from PORT and HOST when unset).
    const web = await startDashboard({ port: config.WEB_PORT, host: config.HOST, env: { API_URL: config.API_URL } });
    shutdown.add(web.close);
    web.done.catch((err) => {
      console.error(err.message);
      process.kill(process.pid, 'SIGTERM');
    });

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
        ...(stripeMock ? [`  Stripe       ${stripeMock.url} (stripe-mock, for the merchants' Stripe connector accounts)`] : []),
        ...(demoKey
          ? [
              `  Demo merchant key: ${demoKey}`,
              '  (embedded mode: requests without a key act as the demo merchant; set ANONYMOUS_AS_DEMO=false to require keys)',
            ]
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
