import { runCli } from '../common/cli.js';
import { databaseUrl, parseConfig, temporalAddress } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { onShutdownSignal } from '../dev/shutdown.js';
import { createApiApp, listen } from './server.js';
import { connectTemporalClient } from './temporal-client.js';

/** The API alone, against the Postgres and Temporal the environment names. */
await runCli(async () => {
  const config = parseConfig();
  const database = await connectDatabase(databaseUrl(config), config.DATABASE_POOL_SIZE);
  const temporal = await connectTemporalClient(temporalAddress(config), config.TEMPORAL_NAMESPACE);
  const server = await listen(createApiApp({ config, db: database.db, temporal }), config.PORT, config.HOST);
  console.log(`API listening on ${server.url}`);
  onShutdownSignal(async () => {
    await server.close();
    await temporal.connection.close();
    await database.close();
  });
});
