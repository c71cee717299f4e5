import { runCli } from '../common/cli.js';
import { parseToolConfig } from '../common/config.js';
import { findOrInstallTemporalCli } from './temporal-cli.js';

/** `npm run temporal:install`: makes sure this machine has the Temporal CLI (CI runs it first). */
await runCli(async () => {
  const cli = await findOrInstallTemporalCli({ explicit: parseToolConfig().TEMPORAL_CLI });
  console.log(`Temporal CLI: ${cli}`);
});
