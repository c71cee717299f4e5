import { runCli } from '../common/cli.js';
import { parseConfig } from '../common/config.js';
import { startServices } from '../dev/embedded-services.js';
import { connectDatabase } from './client.js';
import { runMigrations } from './migrate.js';

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
