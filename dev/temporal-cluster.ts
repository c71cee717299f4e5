import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection, type TLSConfig } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import pg from 'pg';
import { StartupError } from '../common/startup-error.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.js';
import { findOrInstallGoTool, GO_TOOLS } from './go-tools.js';
import { freePortsBelow, isPortFree } from './ports.js';
import { stopChild } from './process.js';
import {
  CLUSTER_PORT_COUNT,
  CLUSTER_SERVICES,
  portsFromList,
  renderClusterConfig,
  renderDynamicConfig,
  type ClusterPorts,
  type ClusterTls,
  type ClusterServiceName,
} from './temporal-cluster-config.js';

export { CLUSTER_SERVICES, type ClusterPorts, type ClusterServiceName, type ClusterTls } from './temporal-cluster-config.js';

const run = promisify(execFile);
const PG_USER = 'postgres';
const PG_PASSWORD = 'postgres';
const ENV_NAME = 'cluster';
const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;

export interface ClusterService {
  readonly name: ClusterServiceName;
  /** The running process's id, undefined while it is down. */
  pid(): number | undefined;
  /** A signal to the service's process group (SIGKILL for a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Stops it if it still runs, starts it again and waits until it answers. */
  restart(): Promise<void>;
}

export interface ClusterPostgres {
  url: string;
  /** The postmaster and every backend: what a freeze must stop. */
  pids(): number[];
  /** SIGSTOP to all of them: the database hangs, connections stay open. */
  freeze(): void;
  thaw(): void;
}

export interface TemporalClusterHandle {
  address: string;
  namespace: string;
  ports: ClusterPorts;
  /** Where each service writes its log (`<service>.log`). */
  logDir: string;
  services: Record<ClusterServiceName, ClusterService>;
  postgres: ClusterPostgres;
  stop(): Promise<void>;
  /** Synchronous last resort: SIGKILL to every service and Temporal's Postgres. */
  kill(): void;
}

/**
 * A Temporal Server cluster in production's shape: frontend, history, matching and worker as four
 * processes, Postgres for persistence and visibility (its own embedded instance, apart from the
 * app's read model). Data under `dataDir` survives restarts; the schema is brought up to date on
 * every start.
 */
export async function startTemporalCluster(options: {
  dataDir: string;
  ports?: ClusterPorts;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  log?: (line: string) => void;
  /** Overall deadline for the services to answer. */
  timeoutMs?: number;
  /** The frontend speaks only TLS and requires a client certificate; the cluster's own probes present the worker service's. */
  tls?: ClusterTls;
}): Promise<TemporalClusterHandle> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  const namespace = options.namespace ?? 'default';
  const timeoutMs = options.timeoutMs ?? 120_000;
  const logDir = path.join(dataDir, 'logs');
  const configDir = path.join(dataDir, 'config');
  await mkdir(logDir, { recursive: true });
  await mkdir(configDir, { recursive: true });
  const ports = options.ports ?? (await reusablePorts(path.join(configDir, 'ports.json')));
  // Postgres runs as the `postgres` user when we are root: it must be able to enter dataDir.
  await chmod(dataDir, 0o755);

  const [server, sqlTool, schemaDir] = await Promise.all([
    findOrInstallGoTool(GO_TOOLS['temporal-server'], { log }),
    findOrInstallGoTool(GO_TOOLS['temporal-sql-tool'], { log }),
    temporalSchemaDir(),
  ]);

  const postgresDir = path.join(dataDir, 'postgres');
  const postgres = await startEmbeddedPostgres({ dataDir: postgresDir, port: ports.postgres });
  const children = new Map<ClusterServiceName, ChildProcess>();
  const killAll = () => {
    for (const child of children.values()) killGroup(child, 'SIGKILL');
    try {
      thawPostgres(postgresDir);
      postgres.kill();
    } catch {
      // Already gone.
    }
  };
  try {
    await applySchema({ sqlTool, schemaDir, port: ports.postgres, log });
    const dynamicConfigFile = path.join(configDir, 'dynamic.yaml');
    await writeFile(dynamicConfigFile, renderDynamicConfig());
    await writeFile(
      path.join(configDir, `${ENV_NAME}.yaml`),
      renderClusterConfig({
        ports,
        postgresUser: PG_USER,
        postgresPassword: PG_PASSWORD,
        dynamicConfigFile,
        logLevel: options.logLevel ?? 'warn',
        historyShards: 4,
        tls: options.tls,
      }),
    );

    const address = `127.0.0.1:${ports.grpc.frontend}`;
    const frontend: Frontend = { address, tls: options.tls && (await probeTls(options.tls)) };
    const launch = (name: ClusterServiceName) => {
      const child = startService({ server, dataDir, name, logFile: path.join(logDir, `${name}.log`) });
      children.set(name, child);
      return child;
    };
    const ready = (names: readonly ClusterServiceName[], ms: number) =>
      waitUntilReady({ frontend, namespace, names, children, logDir, deadline: Date.now() + ms });

    // History first, alone: each service writes the cluster's metadata when the config changed,
    // and four writing at once fail each other with a version mismatch.
    launch('history');
    await waitUntilListening(ports.grpc.history, children, logDir, Date.now() + timeoutMs);
    for (const name of CLUSTER_SERVICES) if (name !== 'history') launch(name);
    log(`Temporal cluster starting (logs in ${logDir})…`);
    await waitUntilAnswers(frontend, children, logDir, Date.now() + timeoutMs);
    await registerNamespace(frontend, namespace);
    await ready(CLUSTER_SERVICES, timeoutMs);

    const services = Object.fromEntries(
      CLUSTER_SERVICES.map((name): [ClusterServiceName, ClusterService] => [
        name,
        {
          name,
          pid: () => {
            const child = children.get(name);
            return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
          },
          kill: (signal = 'SIGKILL') => killGroup(children.get(name)!, signal),
          restart: async () => {
            await stopChild(children.get(name)!, 20_000);
            launch(name);
            await ready([name], timeoutMs);
          },
        },
      ]),
    ) as Record<ClusterServiceName, ClusterService>;

    return {
      address,
      namespace,
      ports,
      logDir,
      services,
      postgres: clusterPostgres(postgres, postgresDir),
      // The frontend stops taking calls first; history last among the servers, Postgres after all.
      stop: async () => {
        thawPostgres(postgresDir);
        for (const name of ['frontend', 'worker', 'matching', 'history'] as const) await stopChild(children.get(name)!, 20_000);
        await postgres.stop();
      },
      kill: killAll,
    };
  } catch (err) {
    killAll();
    throw err;
  }
}

/**
 * The ports of the last start when they are all still free, so the cluster keeps its address (and
 * its membership and metadata rows stay valid) across restarts; else new ones, remembered.
 */
async function reusablePorts(file: string): Promise<ClusterPorts> {
  try {
    const previous = JSON.parse(readFileSync(file, 'utf8')) as ClusterPorts;
    const list = [previous.postgres, previous.frontendHttp, ...Object.values(previous.grpc), ...Object.values(previous.membership)];
    if (list.length === CLUSTER_PORT_COUNT && (await Promise.all(list.map(isPortFree))).every(Boolean)) return previous;
  } catch {
    // First start, or an unreadable file: choose anew.
  }
  const ports = portsFromList(await freePortsBelow(CLUSTER_PORT_COUNT));
  await writeFile(file, JSON.stringify(ports, null, 2));
  return ports;
}

/** The module's `schema/postgresql/v12`, from the Go module cache (downloaded if missing). */
async function temporalSchemaDir(): Promise<string> {
  const { pkg, version } = GO_TOOLS['temporal-server'];
  const module = pkg.replace(/\/cmd\/.*$/, '');
  try {
    // Outside any Go module, so no go.mod around us is consulted.
    const { stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd: os.tmpdir(), timeout: 10 * 60_000 });
    return path.join((JSON.parse(stdout) as { Dir: string }).Dir, 'schema', 'postgresql', 'v12');
  } catch (err) {
    throw new StartupError(
      `could not find Temporal's SQL schema (go mod download ${module}@${version}: ${(err as Error).message.split('\n')[0]})`,
    );
  }
}

/** Creates both databases and brings their schemas to the module's version; a no-op when current. */
async function applySchema(options: { sqlTool: string; schemaDir: string; port: number; log: (line: string) => void }) {
  const admin = new pg.Client({ connectionString: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${options.port}/postgres` });
  await admin.connect();
  try {
    for (const db of Object.values(DATABASES)) {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (!rowCount) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(db)}`);
    }
  } finally {
    await admin.end();
  }
  for (const [key, db] of Object.entries(DATABASES)) {
    const common = [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--user',
      PG_USER,
      '--password',
      PG_PASSWORD,
      '--db',
      db,
    ];
    const sql = async (args: string[]) => {
      try {
        await run(options.sqlTool, [...common, ...args], { timeout: 120_000 });
      } catch (err) {
        const detail = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').pop();
        throw new StartupError(`temporal-sql-tool ${args[0]} on ${db} failed: ${detail}`);
      }
    };
    if (!(await hasSchemaVersion(options.port, db))) await sql(['setup-schema', '-v', '0.0']);
    await sql(['update-schema', '-d', path.join(options.schemaDir, key, 'versioned')]);
  }
  options.log('Temporal schema is current');
}

async function hasSchemaVersion(port: number, db: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${db}` });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string | null }>(`SELECT to_regclass('public.schema_version') AS t`);
    return rows[0]?.t !== null;
  } finally {
    await client.end();
  }
}

function startService(options: { server: string; dataDir: string; name: ClusterServiceName; logFile: string }): ChildProcess {
  const fd = openSync(options.logFile, 'a');
  try {
    // Own process group, so a crash (SIGKILL) or a Ctrl-C reaches exactly this service.
    const args = [
      '--root',
      options.dataDir,
      '--config',
      'config',
      '--env',
      ENV_NAME,
      '--allow-no-auth',
      'start',
      '--service',
      options.name,
    ];
    const child = spawn(options.server, args, { stdio: ['ignore', fd, fd], detached: true });
    child.on('error', () => {});
    return child;
  } finally {
    closeSync(fd);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Gone between the check and the signal.
  }
}

function exitedService(
  children: Map<ClusterServiceName, ChildProcess>,
  logDir: string,
  names: readonly ClusterServiceName[] = CLUSTER_SERVICES,
) {
  for (const name of names) {
    const child = children.get(name);
    if (!child || (child.exitCode === null && child.signalCode === null)) continue;
    const lines = readFileSync(path.join(logDir, `${name}.log`), 'utf8')
      .split('\n')
      .filter(Boolean);
    const reason = lines.filter((l) => /error|fatal|panic/i.test(l)).pop() ?? lines.pop() ?? '';
    return new StartupError(`Temporal ${name} exited with ${child.signalCode ?? `code ${child.exitCode}`}: ${reason.slice(0, 400)}`);
  }
  return undefined;
}

async function waitUntilAnswers(frontend: Frontend, children: Map<ClusterServiceName, ChildProcess>, logDir: string, deadline: number) {
  for (;;) {
    const exited = exitedService(children, logDir);
    if (exited) throw exited;
    const answered = await withConnection(frontend, async (c) => {
      await c.workflowService.getSystemInfo({});
      return true;
    }).catch(() => false);
    if (answered) return;
    if (Date.now() > deadline)
      throw new StartupError(`the Temporal cluster's frontend did not answer on ${frontend.address} in time (logs in ${logDir})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitUntilListening(port: number, children: Map<ClusterServiceName, ChildProcess>, logDir: string, deadline: number) {
  while (await isPortFree(port)) {
    const exited = exitedService(children, logDir);
    if (exited) throw exited;
    if (Date.now() > deadline) throw new StartupError(`Temporal history did not listen on port ${port} in time (logs in ${logDir})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function registerNamespace(frontend: Frontend, namespace: string) {
  await withConnection(frontend, async (c) => {
    try {
      await c.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
    } catch (err) {
      // ALREADY_EXISTS: a second start on the same data.
      if ((err as { code?: number }).code !== 6) throw err;
    }
  });
}

/**
 * Probes that go through the frontend into the named services: history must own its shards and
 * know the namespace (a missing workflow is then NOT_FOUND, not "namespace not found" or
 * unavailable), matching must answer for a task queue, the worker service must be alive.
 */
async function waitUntilReady(options: {
  frontend: Frontend;
  namespace: string;
  names: readonly ClusterServiceName[];
  children: Map<ClusterServiceName, ChildProcess>;
  logDir: string;
  deadline: number;
}) {
  const { frontend, namespace } = options;
  let last: string | undefined;
  for (;;) {
    const exited = exitedService(options.children, options.logDir, options.names);
    if (exited) throw exited;
    try {
      await withConnection(frontend, async (c) => {
        await c.workflowService.getSystemInfo({});
        if (options.names.includes('history') || options.names.includes('frontend')) {
          try {
            await c.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId: 'cluster-readiness-probe' } });
          } catch (err) {
            const { code, details } = err as { code?: number; details?: string };
            if (code !== 5 || /namespace/i.test(details ?? '')) throw err;
          }
        }
        if (options.names.includes('matching') || options.names.includes('frontend')) {
          await c.workflowService.describeTaskQueue({ namespace, taskQueue: { name: 'cluster-readiness-probe' }, taskQueueType: 1 });
        }
      });
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > options.deadline) {
      throw new StartupError(
        `the Temporal cluster (${options.names.join(', ')}) was not ready in time: ${last ?? 'no answer'} (logs in ${options.logDir})`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How the cluster's own probes reach its frontend. */
interface Frontend {
  address: string;
  tls?: TLSConfig;
}

async function probeTls(tls: ClusterTls): Promise<TLSConfig> {
  const [ca, crt, key] = await Promise.all([tls.caFile, tls.clientCertFile, tls.clientKeyFile].map((f) => readFile(f)));
  return { serverRootCACertificate: ca!, clientCertPair: { crt: crt!, key: key! }, serverNameOverride: tls.serverName };
}

async function withConnection<T>(frontend: Frontend, use: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ ...frontend, connectTimeout: 1000 });
  try {
    return await connection.withDeadline(Date.now() + 5000, () => use(connection));
  } finally {
    await connection.close();
  }
}

function clusterPostgres(handle: EmbeddedPostgresHandle, postgresDir: string): ClusterPostgres {
  return {
    url: handle.url.replace(/\/[^/]*$/, `/${DATABASES.temporal}`),
    pids: () => postgresPids(postgresDir),
    freeze: () => signalAll(postgresPids(postgresDir), 'SIGSTOP'),
    thaw: () => thawPostgres(postgresDir),
  };
}

function thawPostgres(postgresDir: string) {
  signalAll(postgresPids(postgresDir), 'SIGCONT');
}

/** The postmaster first (a stopped postmaster starts no new backends), then its children. */
function postgresPids(postgresDir: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(path.join(postgresDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return [];
  }
  if (!(postmaster > 0)) return [];
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The fourth field of /proc/<pid>/stat, after the parenthesised command name, is the parent.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return [postmaster, ...children];
}

function signalAll(pids: number[], signal: NodeJS.Signals) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Exited while we looked.
    }
  }
}
