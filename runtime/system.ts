import type { Client } from '@temporalio/client';
import { connectTemporalClient } from '../api/temporal-client.js';
import { databaseUrl as configuredDatabaseUrl, temporalAddress as configuredTemporalAddress, type Config } from '../common/config.js';
import { createLogger, type Logger } from '../common/logger.js';
import { createTracing, type Tracing } from '../common/tracing.js';
import { connectDatabase, type DatabaseHandle } from '../db/client.js';
import { stopSequence, type ShutdownSequence } from './shutdown.js';
import { temporalConnectionSettings, type TemporalConnectionSettings } from './temporal-connection.js';

export interface SystemOptions {
  /** Postgres to use instead of the config's (the embedded one `npm start` or a test setup started). */
  databaseUrl?: string;
  /** Temporal to use instead of the config's. */
  temporalAddress?: string;
  poolSize?: number;
  logger?: Logger;
  /** Tracing the caller owns (tests): used, and left for the caller to shut down. */
  tracing?: Tracing;
  /** Where the stop steps go: an entry point's signal-driven sequence; a sequence of its own otherwise. */
  shutdown?: ShutdownSequence;
}

/** What every process of the system holds once: one pool, one Temporal client, tracing, and the order to stop them in. */
export interface System {
  config: Config;
  logger: Logger;
  tracing: Tracing | undefined;
  databaseUrl: string;
  temporalAddress: string;
  /** Address, TLS and API key: what the client connected with and every worker connects with. */
  temporalConnection: TemporalConnectionSettings;
  database: DatabaseHandle;
  temporal: Client;
  /** Add the stop step of anything started on this system; it then stops before what it uses. */
  shutdown: ShutdownSequence;
  /** Stops everything registered, last started first, within the sequence's deadline; false when a step failed or was abandoned. */
  stop(): Promise<boolean>;
}

/**
 * Opens the system from a config value: tracing, the Postgres pool (proved reachable) and the
 * Temporal client (proved reachable), each registered to stop after whatever is started on top.
 */
export async function openSystem(config: Config, options: SystemOptions = {}): Promise<System> {
  const shutdown = options.shutdown ?? stopSequence();
  try {
    // Certificate files first: a missing one is a configuration mistake, reported before anything connects.
    const temporalAddress = options.temporalAddress ?? configuredTemporalAddress(config);
    const temporalConnection = temporalConnectionSettings(config, temporalAddress);
    const logger = options.logger ?? createLogger(config);
    const tracing = options.tracing ?? createTracing(config);
    if (tracing && !options.tracing) shutdown.add(tracing.shutdown);
    const databaseUrl = options.databaseUrl ?? configuredDatabaseUrl(config);
    const database = await connectDatabase(databaseUrl, options.poolSize ?? config.DATABASE_POOL_SIZE);
    shutdown.add(database.close);
    const temporal = await connectTemporalClient(temporalConnection, config.TEMPORAL_NAMESPACE, tracing ? [tracing.plugin] : []);
    shutdown.add(() => temporal.connection.close());
    return { config, logger, tracing, databaseUrl, temporalAddress, temporalConnection, database, temporal, shutdown, stop: shutdown.run };
  } catch (err) {
    // A sequence of our own has no one else to run it; a caller's runs on its own terms.
    if (!options.shutdown) await shutdown.run();
    throw err;
  }
}
