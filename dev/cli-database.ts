import type { Config } from '../common/config.js';
import { databaseUrl } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { startServices } from './embedded-services.js';

/**
 * The database a CLI command works on: the running one if there is one; in the embedded mode, with
 * nothing running, the embedded Postgres is started for the command and stopped with it.
 */
export async function openCliDatabase(config: Config) {
  try {
    const database = await connectDatabase(databaseUrl(config), 1);
    await runMigrations(database.db);
    return database;
  } catch (err) {
    if (config.DATABASE_URL) throw err;
    const services = await startServices(config, { postgresOnly: true });
    const database = await connectDatabase(services.databaseUrl, 1);
    await runMigrations(database.db);
    return { db: database.db, close: () => database.close().finally(() => services.stop()) };
  }
}
