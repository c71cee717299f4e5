import { parseArgs } from 'node:util';
import { createMerchant, issueApiKey, listApiKeys, listMerchants, revokeApiKey } from '../api/merchants.js';
import { runCli } from '../common/cli.js';
import { databaseUrl, parseConfig } from '../common/config.js';
import { StartupError } from '../common/startup-error.js';
import { connectDatabase, type DatabaseHandle } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { startServices, type Services } from './embedded-services.js';

const USAGE = `usage:
  npm run merchant:create -- --name "Acme"     create a merchant and its first API key
  npm run merchant -- list                      list merchants
  npm run merchant -- keys <merchant id>        list a merchant's keys (prefixes only)
  npm run merchant -- create-key <merchant id>  issue another key
  npm run merchant -- revoke <key id>           revoke a key`;

await runCli(async () => {
  const { values, positionals } = parseArgs({ options: { name: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true });
  const [command, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const { database, services } = await openDatabaseForCli();
  try {
    const db = database.db;
    switch (command) {
      case 'create': {
        const name = values.name?.trim();
        if (!name) throw new StartupError('--name is required, e.g. npm run merchant:create -- --name "Acme"');
        const merchant = await createMerchant(db, name);
        console.log(`merchant ${merchant.id} (${merchant.name})`);
        console.log(`API key ${merchant.apiKey.id}: ${merchant.apiKey.key}`);
        console.log('The key is shown only now: store it safely.');
        break;
      }
      case 'list':
        for (const m of await listMerchants(db)) console.log(`${m.id}\t${m.name}\t${m.createdAt.toISOString()}`);
        break;
      case 'keys':
        for (const k of await listApiKeys(db, required(arg, 'merchant id'))) {
          console.log(`${k.id}\t${k.prefix}…\t${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`);
        }
        break;
      case 'create-key': {
        const key = await issueApiKey(db, required(arg, 'merchant id')).catch(() => {
          throw new StartupError(`no merchant ${arg}`);
        });
        console.log(`API key ${key.id}: ${key.key}\nThe key is shown only now: store it safely.`);
        break;
      }
      case 'revoke':
        if (!(await revokeApiKey(db, required(arg, 'key id')))) throw new StartupError(`no active key ${arg}`);
        console.log(`revoked ${arg}`);
        break;
      default:
        throw new StartupError(`unknown command "${command}"\n${USAGE}`);
    }
  } finally {
    await database.close();
    await services?.stop();
  }
});

function required(value: string | undefined, what: string): string {
  if (!value) throw new StartupError(`the ${what} is required\n${USAGE}`);
  return value;
}

/** The running database if there is one; in the embedded mode, start it when nothing runs. */
async function openDatabaseForCli(): Promise<{ database: DatabaseHandle; services?: Services }> {
  const config = parseConfig();
  try {
    const database = await connectDatabase(databaseUrl(config), 1);
    await runMigrations(database.db);
    return { database };
  } catch (err) {
    if (config.DATABASE_URL) throw err;
    const services = await startServices(config, { postgresOnly: true });
    const database = await connectDatabase(services.databaseUrl, 1);
    await runMigrations(database.db);
    return { database, services };
  }
}
