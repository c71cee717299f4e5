import { runCli } from '../common/cli.js';
import { findOrInstallTemporalTestServer } from './temporal-test-server.js';

/** `npm run temporal:test-server:install`: makes sure this machine has the time-skipping test server (CI runs it first). */
await runCli(async () => {
  const server = await findOrInstallTemporalTestServer({ explicit: process.env.TEMPORAL_TEST_SERVER || undefined });
  console.log(`Temporal test server: ${server}`);
});
