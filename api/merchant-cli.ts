import { runCli } from '../common/cli.js';
import { databaseUrl, parseConfig } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { runMerchantCommand } from './merchant-commands.js';

/** The merchant CLI of a deployment (`merchant …` in the api image): the database DATABASE_URL names, already migrated. */
await runCli(() => runMerchantCommand(process.argv.slice(2), () => connectDatabase(databaseUrl(parseConfig()), 1)));
