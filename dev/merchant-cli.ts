import { runCli } from '../common/cli.js';
import { parseConfig } from '../common/config.js';
import { runMerchantCommand } from '../api/merchant-commands.js';
import { openCliDatabase } from './cli-database.js';

/** `npm run merchant -- …`, on the database openCliDatabase finds (or starts). */
await runCli(() => runMerchantCommand(process.argv.slice(2), () => openCliDatabase(parseConfig())));
