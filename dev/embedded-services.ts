import path from 'node:path';
import { databaseUrl, temporalAddress, type Config } from '../common/config.js';
import { startEmbeddedPostgres, stopLeftoverPostmaster } from './embedded-postgres.js';
import { PidFiles } from './pid-files.js';
import { findOrInstallTemporalCli } from './temporal-cli.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

export interface Services {
  databaseUrl: string;
  temporalAddress: string;
  /** What was started here (for the banner); empty when everything is external. */
  embedded: string[];
  stop(): Promise<void>;
  /** Synchronous last resort: kills what was started, for a shutdown that ran out of time. */
  kill(): void;
}

/**
 * Starts what the environment does not point at: embedded Postgres when DATABASE_URL is unset,
 * the Temporal dev server when TEMPORAL_ADDRESS is unset. Data lives under DATA_DIR, and so do pid
 * files naming what runs: what an earlier start left running when it was killed is stopped first.
 */
export async function startServices(config: Config, options: { postgresOnly?: boolean } = {}): Promise<Services> {
  const stops: Array<() => Promise<void>> = [];
  const kills: Array<() => unknown> = [];
  const kill = () => {
    for (const k of kills) {
      try {
        k();
      } catch {
        // Already gone.
      }
    }
  };
  const embedded: string[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  const startsTemporal = !config.TEMPORAL_ADDRESS && !options.postgresOnly;
  const pids = new PidFiles(path.join(config.DATA_DIR, 'pids'));
  try {
    if (!config.DATABASE_URL || startsTemporal) {
      await pids.claim();
      stops.push(() => pids.release());
    }
    let dbUrl = databaseUrl(config);
    if (!config.DATABASE_URL) {
      const dataDir = path.resolve(config.DATA_DIR, 'postgres');
      report('Postgres', await pids.stopLeftover('postgres', dataDir, { signal: 'SIGINT', graceMs: 10_000 }));
      report('Postgres', await stopLeftoverPostmaster(dataDir));
      const pg = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_PG_PORT });
      stops.push(async () => {
        await pg.stop();
        await pids.remove('postgres');
      });
      kills.push(pg.kill);
      if (pg.postmaster) await pids.record('postgres', pg.postmaster.pid);
      dbUrl = pg.url;
      embedded.push(`Postgres     127.0.0.1:${config.EMBEDDED_PG_PORT} (embedded, data in ${dataDir})`);
    }
    let address = temporalAddress(config);
    if (startsTemporal) {
      const cli = await findOrInstallTemporalCli({ explicit: config.TEMPORAL_CLI });
      const dbFile = path.resolve(config.DATA_DIR, 'temporal.db');
      report('the Temporal dev server', await pids.stopLeftover('temporal', dbFile, { signal: 'SIGTERM', graceMs: 5_000, group: true }));
      const temporal = await startTemporalDevServer({
        cli,
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile,
        namespace: config.TEMPORAL_NAMESPACE,
      });
      stops.push(async () => {
        await temporal.stop();
        await pids.remove('temporal');
      });
      kills.push(temporal.kill);
      if (temporal.server) await pids.record('temporal', temporal.server.pid);
      address = temporal.address;
      embedded.push(`Temporal     ${address} (dev server, data in ${dbFile})`);
    }
    return { databaseUrl: dbUrl, temporalAddress: address, embedded, stop, kill };
  } catch (err) {
    await stop();
    throw err;
  }
}

function report(what: string, stopped: { pid: number } | undefined): void {
  if (stopped) console.log(`stopped ${what} (pid ${stopped.pid}) that an earlier start, ended abruptly, left running`);
}
