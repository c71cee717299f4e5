import { parseArgs } from 'node:util';
import { StartupError } from '../common/startup-error.js';
import type { Database } from '../db/client.js';
import { createMerchant, issueApiKey, listApiKeys, listMerchants, revokeApiKey } from './merchants.js';

// `npm run merchant -- …` in a checkout; `merchant …` in the api image.
const USAGE = `usage: merchant <command>
  create --name "Acme"        create a merchant and its first API key
  list                        list merchants
  keys <merchant id>          list a merchant's keys (prefixes only)
  create-key <merchant id>    issue another key
  revoke <key id>             revoke a key`;

/** Runs one merchant-CLI command (`create`, `list`, `keys`, `create-key`, `revoke`) against an open database. */
export async function runMerchantCommand(
  argv: string[],
  openDatabase: () => Promise<{ db: Database; close(): Promise<void> }>,
): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { name: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const database = await openDatabase();
  try {
    const db = database.db;
    switch (command) {
      case 'create': {
        const name = values.name?.trim();
        if (!name) throw new StartupError('--name is required, e.g. merchant create --name "Acme"');
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
  }
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new StartupError(`the ${what} is required\n${USAGE}`);
  return value;
}
