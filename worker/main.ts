import { runCli } from '../common/cli.js';
import { parseConfig, databaseUrl, temporalAddress } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { onShutdownSignal } from '../dev/shutdown.js';
import { startPaymentWorker } from './worker.js';

/** A worker alone, against the Postgres and Temporal the environment names. */
await runCli(async () => {
  const config = parseConfig();
  const database = await connectDatabase(databaseUrl(config), config.DATABASE_POOL_SIZE);
  const worker = await startPaymentWorker({ config, temporalAddress: temporalAddress(config), db: database.db });
  console.log(`worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${temporalAddress(config)}`);
  onShutdownSignal(async () => {
    await worker.stop();
    await database.close();
  });
  await worker.done;
});
