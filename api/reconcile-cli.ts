import { parseArgs } from 'node:util';
import { runCli } from '../common/cli.js';
import { databaseUrl, parseConfig, temporalAddress } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { reconcilePayments } from './reconcile.js';
import { connectTemporalClient } from './temporal-client.js';

/**
 * `npm run reconcile`: lists payment workflows without a row and closed workflows whose row is not
 * final, against the Postgres and Temporal the environment names (or the embedded defaults, which
 * must be running). Exits 1 when there is any, so it can run as a scheduled check.
 */
await runCli(async () => {
  const { values } = parseArgs({ options: { 'task-queue': { type: 'string' }, json: { type: 'boolean' } } });
  const config = parseConfig();
  const database = await connectDatabase(databaseUrl(config), 2);
  const temporal = await connectTemporalClient(temporalAddress(config), config.TEMPORAL_NAMESPACE);
  try {
    const result = await reconcilePayments({ db: database.db, temporal }, { taskQueue: values['task-queue'] });
    if (values.json) console.log(JSON.stringify(result));
    else {
      for (const d of result.disagreements) console.log(`${d.paymentId}\t${d.problem}\tworkflow ${d.workflowStatus}\trow ${d.rowStatus ?? '-'}`);
      console.log(`${result.checked} payment workflows checked, ${result.disagreements.length} disagreements`);
    }
    if (result.disagreements.length) process.exitCode = 1;
  } finally {
    await temporal.connection.close();
    await database.close();
  }
});
