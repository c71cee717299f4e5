import { runCli } from '../common/cli.js';
import { parseConfig } from '../common/config.js';
import { serveApi } from '../runtime/api.js';
import { shutdownOnSignal } from '../runtime/shutdown.js';
import { openSystem } from '../runtime/system.js';

/** The API alone, against the Postgres and Temporal the environment names. */
const shutdown = shutdownOnSignal();
await runCli(async () => {
  const config = parseConfig();
  const system = await openSystem(config, { shutdown });
  const server = await serveApi(system, { port: config.PORT, host: config.HOST });
  system.logger.info({ url: server.url }, 'API listening');
});
