import { runCli } from '../common/cli.js';
import { databaseUrl, parseConfig } from '../common/config.js';
import { connectDatabase } from './client.js';
import { runMigrations } from './migrate.js';

/** Applies the migrations to the Postgres DATABASE_URL names (the `migrate` image and Job). */
await runCli(async () => {
  const handle = await connectDatabase(databaseUrl(parseConfig()), 1);
  await runMigrations(handle.db).finally(() => handle.close());
  console.log('migrations applied');
});
