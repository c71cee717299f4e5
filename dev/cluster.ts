import { spawn } from 'node:child_process';
import path from 'node:path';
import { runCli } from '../common/cli.js';
import { childEnvironment, parseConfig } from '../common/config.js';
import { stopChild } from './process.js';
import { shutdownOnSignal } from '../runtime/shutdown.js';
import { startTemporalCluster } from './temporal-cluster.js';

/**
 * `npm run cluster`: the app as `npm start` runs it, but on a Temporal cluster in production's
 * shape (frontend, history, matching and worker as four processes on their own Postgres) instead
 * of the dev server. The cluster's data lives in DATA_DIR/cluster and survives restarts.
 */
// The app stops within its own deadline, then the cluster's four services and its Postgres.
const shutdown = shutdownOnSignal({ deadlineMs: 60_000 });
await runCli(async () => {
  const config = parseConfig();
  const dataDir = path.join(config.DATA_DIR, 'cluster');
  const cluster = await startTemporalCluster({ dataDir, namespace: config.TEMPORAL_NAMESPACE, log: (line) => console.log(line) });
  shutdown.add(cluster.stop);
  shutdown.addLastResort(cluster.kill);
  console.log(`Temporal cluster at ${cluster.address} (frontend, history, matching, worker; logs in ${cluster.logDir})`);

  // Its own process group: Ctrl-C reaches only this supervisor, which stops the app first (one
  // SIGTERM, its ordered shutdown), then the cluster the app depends on.
  const app = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], {
    stdio: 'inherit',
    detached: true,
    env: childEnvironment({ TEMPORAL_ADDRESS: cluster.address }),
  });
  shutdown.add(() => stopChild(app, 20_000));
  shutdown.addLastResort(() => app.pid !== undefined && app.exitCode === null && process.kill(-app.pid, 'SIGKILL'));
  const code = await new Promise<number>((resolve) => app.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  // The app ended on its own (a failed start, a crash): the cluster goes with it.
  await shutdown.run();
  process.exitCode = code;
});
