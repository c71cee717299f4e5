import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { StartupError } from '../common/startup-error.js';
import { assertPortFree, freePortsBelow } from './ports.js';
import { identify, type ProcessIdentity } from './process-identity.js';
import { stopChild } from './process.js';
import { watchOver } from './watchdog.js';

export interface TemporalDevServerHandle {
  address: string;
  /** The server process (leader of its own process group), when /proc can tell. */
  server?: ProcessIdentity;
  stop(): Promise<void>;
  /** Synchronous last resort: SIGKILL to its process group. */
  kill(): void;
}

/**
 * Runs `temporal server start-dev` and waits until its frontend answers.
 * `dbFile` keeps workflows across restarts (SQLite, WAL); without it the server is in memory.
 */
export async function startTemporalDevServer(options: {
  cli: string;
  port: number;
  uiPort?: number;
  dbFile?: string;
  namespace?: string;
  onLog?: (line: string) => void;
}): Promise<TemporalDevServerHandle> {
  await assertPortFree(options.port, 'TEMPORAL_DEV_PORT');
  if (options.uiPort) await assertPortFree(options.uiPort, 'TEMPORAL_UI_PORT');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  // Left to the CLI these two are random high ports, where outgoing connections take their source
  // ports: below 32768 they cannot collide with them.
  const [httpPort, metricsPort] = await freePortsBelow(2);
  args.push('--http-port', String(httpPort), '--metrics-port', String(metricsPort));
  if (options.dbFile) {
    await mkdir(path.dirname(path.resolve(options.dbFile)), { recursive: true });
    args.push('--db-filename', path.resolve(options.dbFile), '--sqlite-pragma', 'journal_mode=wal');
  }
  // Own process group: Ctrl-C reaches only our supervisor, which stops workers before the server.
  const child = spawn(options.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const recent: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      recent.push(line);
      if (recent.length > 30) recent.shift();
      options.onLog?.(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  // Spawn has exec'd by now, so the command line is the server's own. Watched from the start: a
  // supervisor killed while the server boots must not leave it behind.
  const server = child.pid === undefined ? undefined : identify(child.pid);
  const watchdog = server && watchOver(server, { signal: 'SIGTERM', group: true, graceMs: 3_000 });

  const address = `127.0.0.1:${options.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      const reason = recent.filter((l) => /error|fatal|panic/i.test(l)).pop() ?? recent.pop() ?? '';
      watchdog?.disarm();
      throw new StartupError(`Temporal dev server ${exited}: ${reason.slice(0, 300)}`);
    }
    if (await answers(address)) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      watchdog?.disarm();
      throw new StartupError(`Temporal dev server did not answer on ${address} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    address,
    server,
    stop: async () => {
      await stopChild(child);
      watchdog?.disarm();
    },
    // Its own process group: the server and anything it started.
    kill: () => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    },
  };
}

async function answers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}
