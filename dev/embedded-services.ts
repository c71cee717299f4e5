import path from 'node:path';
import { databaseUrl, temporalAddress, type Config } from '../common/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
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
 * the Temporal dev server when TEMPORAL_ADDRESS is unset. Data lives under DATA_DIR.
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
  try {
    let dbUrl = databaseUrl(config);
    if (!config.DATABASE_URL) {
      const dataDir = path.join(config.DATA_DIR, 'postgres');
      const pg = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_PG_PORT });
      stops.push(pg.stop);
      kills.push(pg.kill);
      dbUrl = pg.url;
      embedded.push(`Postgres     127.0.0.1:${config.EMBEDDED_PG_PORT} (embedded, data in ${dataDir})`);
    }
    let address = temporalAddress(config);
    if (!config.TEMPORAL_ADDRESS && !options.postgresOnly) {
      const cli = await findOrInstallTemporalCli({ explicit: config.TEMPORAL_CLI });
      const dbFile = path.join(config.DATA_DIR, 'temporal.db');
      const temporal = await startTemporalDevServer({
        cli,
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile,
        namespace: config.TEMPORAL_NAMESPACE,
      });
      stops.push(temporal.stop);
      kills.push(temporal.kill);
      address = temporal.address;
      embedded.push(`Temporal     ${address} (dev server, data in ${dbFile})`);
    }
    return { databaseUrl: dbUrl, temporalAddress: address, embedded, stop, kill };
  } catch (err) {
    await stop();
    throw err;
  }
}
