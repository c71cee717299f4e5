import { childEnvironment } from '../common/config.js';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { runCli } from '../common/cli.js';
import { CLUSTER_SERVICES, startTemporalCluster } from './temporal-cluster.js';

/**
 * The payment lifecycle and the chaos files whose faults are the app's own (worker crashes, the
 * worker's link to Temporal cut) against a four-process Temporal cluster on Postgres instead of
 * the dev server. `npm run test:cluster [-- more vitest args]`. Faults of the cluster itself are
 * test/chaos/cluster-faults.test.ts, which starts a cluster of its own.
 */
const FILES = ['test/integration/payment-lifecycle.test.ts', 'test/chaos/process-crashes.test.ts', 'test/chaos/network-faults.test.ts'];

await runCli(async () => {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-cluster-'));
  await chmod(scratch, 0o755);
  const started = Date.now();
  const cluster = await startTemporalCluster({ dataDir: scratch, log: (line) => console.log(line) });
  let interrupted = false;
  const onSignal = () => (interrupted = true);
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    console.log(`Temporal cluster at ${cluster.address} in ${((Date.now() - started) / 1000).toFixed(1)} s (logs in ${cluster.logDir})`);
    const args = process.argv.slice(2);
    // Files named on the command line replace the default set.
    const files = args.some((a) => a.endsWith('.test.ts')) ? [] : FILES;
    const vitest = spawn('npx', ['vitest', 'run', '--project', 'integration', ...files, ...args], {
      stdio: 'inherit',
      env: childEnvironment({ TEMPORAL_ADDRESS: cluster.address, TEMPORAL_NAMESPACE: cluster.namespace }),
    });
    const code = await new Promise<number>((resolve) => vitest.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
    if (code !== 0 || interrupted) {
      console.error(`tests on the cluster failed; the services' last errors:\n${lastErrors(cluster.logDir)}`);
      process.exitCode = code || 1;
    } else if ((await workflowCount(cluster.address, cluster.namespace)) === 0) {
      // Green tests that never reached the cluster (a setup that ignored TEMPORAL_ADDRESS) prove nothing.
      console.error(`the tests passed but started no workflow on the cluster at ${cluster.address}`);
      process.exitCode = 1;
    }
  } finally {
    await cluster.stop().catch(() => cluster.kill());
    await rm(scratch, { recursive: true, force: true });
  }
});

async function workflowCount(address: string, namespace: string): Promise<number> {
  const connection = await Connection.connect({ address });
  try {
    const { count } = await connection.workflowService.countWorkflowExecutions({ namespace, query: '' });
    return Number(count ?? 0);
  } finally {
    await connection.close();
  }
}

/** The logs go with the scratch directory; what explains a failure is printed first. */
function lastErrors(logDir: string): string {
  return CLUSTER_SERVICES.map((name) => {
    const lines = readFileSync(path.join(logDir, `${name}.log`), 'utf8').split('\n');
    const errors = lines.filter((l) => /"level":"(error|fatal|dpanic|panic)"|^panic/.test(l)).slice(-5);
    return `${name}:\n${errors.map((l) => `  ${l.slice(0, 500)}`).join('\n') || '  (no errors)'}`;
  }).join('\n');
}
