import path from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { freePort } from './ports.js';
import { findOrInstallTemporalCli } from './temporal-cli.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

export interface ThrowawayServices {
  databaseUrl: string;
  temporalAddress: string;
  /** The Temporal CLI, when a dev server was started here. */
  temporalCli?: string;
  stop(): Promise<void>;
}

/**
 * A Postgres and a Temporal dev server that live as long as one test run or benchmark: free ports,
 * data under `scratch`. A service that is given (an address) is used instead of started.
 */
export async function startThrowawayServices(options: {
  scratch: string;
  databaseUrl?: string;
  temporalAddress?: string;
  temporalCli?: string;
  /** Temporal on a SQLite file, as `npm start` runs it (the benchmark); in memory otherwise (faster tests). */
  durableTemporal?: boolean;
}): Promise<ThrowawayServices> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => console.error('stopping a throwaway service:', err));
  };
  let temporalCli: string | undefined;
  // allSettled: a failure must not leave a sibling service starting after stop() ran.
  const [database, temporal] = await Promise.allSettled([
    (async () => {
      if (options.databaseUrl) return options.databaseUrl;
      const pg = await startEmbeddedPostgres({ dataDir: path.join(options.scratch, 'postgres'), port: await freePort() });
      stops.push(pg.stop);
      return pg.url;
    })(),
    (async () => {
      if (options.temporalAddress) return options.temporalAddress;
      temporalCli = await findOrInstallTemporalCli({ explicit: options.temporalCli });
      const server = await startTemporalDevServer({
        cli: temporalCli,
        port: await freePort(),
        ...(options.durableTemporal ? { dbFile: path.join(options.scratch, 'temporal.db') } : {}),
      });
      stops.push(server.stop);
      return server.address;
    })(),
  ]);
  if (database.status === 'rejected' || temporal.status === 'rejected') {
    await stop();
    throw database.status === 'rejected' ? database.reason : (temporal as PromiseRejectedResult).reason;
  }
  return { databaseUrl: database.value, temporalAddress: temporal.value, ...(temporalCli ? { temporalCli } : {}), stop };
}
