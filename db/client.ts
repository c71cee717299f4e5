import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { StartupError } from '../common/startup-error.js';
import * as schema from './schema.js';

/** Drizzle over the pool. Nothing here uses `db.transaction`: its BEGIN runs outside its own
 * try/finally, so a BEGIN failing on a frozen server leaks the pool client for good (found by the
 * Postgres chaos test). Writes are single statements or idempotent steps instead. */
export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface DatabaseHandle {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** One pool per process. Short timeouts so an unreachable database fails a request instead of hanging it. */
export function openDatabase(url: string, poolSize = 10): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A frozen server must not hold a request forever: bound every statement.
    query_timeout: 5_000,
  });
  // A client losing its server is not fatal: idle ones are replaced at the next checkout, and a
  // checked-out one fails its query (which the caller sees and Temporal retries). Without these
  // listeners pg emits an unhandled 'error' and the process dies (found by the Postgres chaos test).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

/** Opens the pool and proves the server answers; an unreachable server is one clear error. */
export async function connectDatabase(url: string, poolSize?: number): Promise<DatabaseHandle> {
  const handle = openDatabase(url, poolSize);
  try {
    await handle.pool.query('select 1');
  } catch (err) {
    await handle.close().catch(() => {});
    const where = safeLocation(url);
    throw new StartupError(`cannot reach Postgres at ${where}: ${(err as Error).message || (err as { code?: string }).code}`);
  }
  return handle;
}

/** host:port/db of a connection string, never its password. */
export function safeLocation(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(malformed DATABASE_URL)';
  }
}
