import { parseArgs } from 'node:util';
import { runCli } from '../common/cli.js';
import { parseConfig, parseDuration } from '../common/config.js';
import { openSystem } from '../runtime/system.js';
import { reconcilePayments } from './reconcile.js';
import { loadKeyring } from '../common/credential-box.js';
import { StartupError } from '../common/startup-error.js';
import { createConnectorDirectory } from '../worker/connectors/directory.js';
import { reconcileWithProcessors } from '../worker/connectors/processor-reconcile.js';
import { processorOptions } from '../worker/connectors/processors.js';
import { createSimulatorConnector } from '../worker/connectors/simulator.js';

/**
 * `npm run reconcile`: lists payment workflows without a row and closed workflows whose row is not
 * final, against the Postgres and Temporal the environment names (or the embedded defaults, which
 * must be running). `-- --processors [--since 7d] [--limit 1000]` compares recent payments with what
 * their processors hold instead. Exits 1 when there is any disagreement, so it can run as a scheduled check.
 */
await runCli(async () => {
  const { values } = parseArgs({
    options: {
      'task-queue': { type: 'string' },
      json: { type: 'boolean' },
      processors: { type: 'boolean' },
      since: { type: 'string', default: '7d' },
      limit: { type: 'string', default: '1000' },
    },
  });
  const config = parseConfig();
  const system = await openSystem(config, { poolSize: 2 });
  try {
    if (values.processors) {
      const sinceMs = parseDuration(values.since);
      const limit = Number(values.limit);
      if (sinceMs === undefined) throw new StartupError(`--since: must be a duration such as 7d or 12h, got ${values.since}`);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new StartupError(`--limit: must be a positive integer, got ${values.limit}`);
      const db = system.database.db;
      const connectors = createConnectorDirectory({
        db,
        simulator: createSimulatorConnector({ db }),
        ...processorOptions(config, await loadKeyring(config)),
      });
      const result = await reconcileWithProcessors({ db, connectors }, { since: new Date(Date.now() - sinceMs), limit });
      if (values.json) console.log(JSON.stringify(result));
      else {
        for (const d of result.disagreements)
          console.log(
            `${d.paymentId}\t${d.status}\t${d.connector} ${d.connectorAccountId ?? '(built-in)'}\tprocessor: ${d.processor}\texpected: ${d.expected}`,
          );
        console.log(`${result.checked} payments checked with their processors, ${result.disagreements.length} disagreements`);
      }
      if (result.disagreements.length) process.exitCode = 1;
      return;
    }
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
