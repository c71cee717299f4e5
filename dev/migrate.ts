import { runCli } from '../common/cli.js';
import { parseConfig } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { startServices } from './embedded-services.js';

/** `npm run db:migrate`: as db/migrate-cli.ts, starting the embedded Postgres when DATABASE_URL is unset. */
await runCli(async () => {
  const services = await startServices(parseConfig(), { postgresOnly: true });
  try {
    const handle = await connectDatabase(services.databaseUrl, 1);
    await runMigrations(handle.db).finally(() => handle.close());
    console.log('migrations applied');
  } finally {
    await services.stop();
  }
});
