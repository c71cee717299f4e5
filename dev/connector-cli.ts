import { text } from 'node:stream/consumers';
import { runCli } from '../common/cli.js';
import { childEnvironment, databaseUrl, parseConfig } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { runConnectorCommand } from '../api/connector-cli-commands.js';
import { startServices } from './embedded-services.js';

/**
 * `npm run connectors -- …`: the running database if there is one; in the embedded mode, with
 * nothing running, the embedded Postgres is started for the command and stopped after it.
 */
await runCli(() => {
  const config = parseConfig();
  return runConnectorCommand(process.argv.slice(2), {
    config,
    // The variable --secret-key-env names is read from a copy of the environment (only config.ts reads the real one).
    env: childEnvironment(),
    readStdin: () => {
      if (process.stdin.isTTY) process.stderr.write('stripe secret key (kept out of shell history; Enter, then Ctrl-D): ');
      return text(process.stdin);
    },
    out: (line) => console.log(line),
    async openDatabase() {
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
    },
  });
});
