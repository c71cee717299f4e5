import { runCli } from '../common/cli.js';
import { databaseUrl, parseConfig, temporalAddress } from '../common/config.js';
import { createLogger } from '../common/logger.js';
import { createTracing } from '../common/tracing.js';
import { connectDatabase } from '../db/client.js';
import { onShutdownSignal } from '../dev/shutdown.js';
import { PaymentChangeFeed } from './payment-changes.js';
import { createApiApp, listen } from './server.js';
import { connectTemporalClient } from './temporal-client.js';

/** The API alone, against the Postgres and Temporal the environment names. */
await runCli(async () => {
  const config = parseConfig();
  const logger = createLogger(config);
  const tracing = createTracing(config);
  const database = await connectDatabase(databaseUrl(config), config.DATABASE_POOL_SIZE);
  const temporal = await connectTemporalClient(temporalAddress(config), config.TEMPORAL_NAMESPACE, tracing ? [tracing.plugin] : []);
  const changes = new PaymentChangeFeed(database.pool);
  const server = await listen(createApiApp({ config, logger, db: database.db, temporal, changes }), config.PORT, config.HOST);
  logger.info({ url: server.url }, 'API listening');
  onShutdownSignal(async () => {
    await server.close();
    await temporal.connection.close();
    await changes.close();
    await database.close();
    await tracing?.shutdown();
  });
});
