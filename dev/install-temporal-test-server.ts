import { runCli } from '../common/cli.js';
import { parseToolConfig } from '../common/config.js';
import { findOrInstallTemporalTestServer } from './temporal-test-server.js';

/** `npm run temporal:test-server:install`: makes sure this machine has the time-skipping test server (CI runs it first). */
await runCli(async () => {
  const server = await findOrInstallTemporalTestServer({ explicit: parseToolConfig().TEMPORAL_TEST_SERVER });
  console.log(`Temporal test server: ${server}`);
});
