import { PaymentChangeFeed } from '../api/payment-changes.js';
import { createApiApp } from '../api/server.js';
import { listen, type RunningServer } from './listen.js';
import type { System } from './system.js';

/** The API on a system: its live-change feed and its listener, both stopped before the system. */
export async function serveApi(system: System, at: { port: number; host: string }): Promise<RunningServer> {
  const changes = new PaymentChangeFeed(system.database.pool);
  system.shutdown.add(() => changes.close());
  const { config, logger, database, temporal } = system;
  const server = await listen(createApiApp({ config, logger, db: database.db, temporal, changes }), at.port, at.host);
  system.shutdown.add(server.close);
  return server;
}
