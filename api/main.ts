import { runCli } from '../common/cli.js';
import { databaseUrl, parseConfig, temporalAddress } from '../common/config.js';
import { createLogger } from '../common/logger.js';
import { createTracing } from '../common/tracing.js';
import { connectDatabase } from '../db/client.js';
import { shutdownOnSignal } from '../dev/shutdown.js';
import { PaymentChangeFeed } from './payment-changes.js';
import { createApiApp, listen } from './server.js';
import { connectTemporalClient } from './temporal-client.js';

/** The API alone, against the Postgres and Temporal the environment names. */
const shutdown = shutdownOnSignal();
await runCli(async () => {
  const config = parseConfig();
  const logger = createLogger(config);
  const tracing = createTracing(config);
  if (tracing) shutdown.add(tracing.shutdown);
  const database = await connectDatabase(databaseUrl(config), config.DATABASE_POOL_SIZE);
  shutdown.add(database.close);
  const temporal = await connectTemporalClient(temporalAddress(config), config.TEMPORAL_NAMESPACE, tracing ? [tracing.plugin] : []);
  shutdown.add(() => temporal.connection.close());
  const changes = new PaymentChangeFeed(database.pool);
  shutdown.add(() => changes.close());
  const server = await listen(createApiApp({ config, logger, db: database.db, temporal, changes }), config.PORT, config.HOST);
  shutdown.add(server.close);
  logger.info({ url: server.url }, 'API listening');
});
