import { parseArgs } from 'node:util';
import { runCli } from '../common/cli.js';
import { parseConfig } from '../common/config.js';
import { openSystem } from '../runtime/system.js';
import { reconcilePayments } from './reconcile.js';

/**
 * `npm run reconcile`: lists payment workflows without a row and closed workflows whose row is not
 * final, against the Postgres and Temporal the environment names (or the embedded defaults, which
 * must be running). Exits 1 when there is any, so it can run as a scheduled check.
 */
await runCli(async () => {
  const { values } = parseArgs({ options: { 'task-queue': { type: 'string' }, json: { type: 'boolean' } } });
  const system = await openSystem(parseConfig(), { poolSize: 2 });
  try {
    const result = await reconcilePayments({ db: system.database.db, temporal: system.temporal }, { taskQueue: values['task-queue'] });
    if (values.json) console.log(JSON.stringify(result));
    else {
      for (const d of result.disagreements)
        console.log(`${d.paymentId}\t${d.problem}\tworkflow ${d.workflowStatus}\trow ${d.rowStatus ?? '-'}`);
      console.log(`${result.checked} payment workflows checked, ${result.disagreements.length} disagreements`);
    }
    if (result.disagreements.length) process.exitCode = 1;
  } finally {
    await system.stop();
  }
});
