import { runCli } from '../common/cli.js';
import { findOrInstallTemporalCli } from './temporal-cli.js';

/** `npm run temporal:install`: makes sure this machine has the Temporal CLI (CI runs it first). */
await runCli(async () => {
  const cli = await findOrInstallTemporalCli({ explicit: process.env.TEMPORAL_CLI || undefined });
  console.log(`Temporal CLI: ${cli}`);
});
