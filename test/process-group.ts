import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '../common/config.js';
import { freePort } from '../dev/ports.js';

/** Built processes for tests and the benchmark; free of vitest so plain scripts can use it. */

const run = promisify(execFile);

/** Polls until `probe` returns a value that is not undefined/false, or fails after the deadline. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

/** `npm run build` unless dist/ is newer than every source it is built from. */
export async function ensureBuilt(): Promise<void> {
  const marker = 'dist/worker/workflow-bundle.js';
  const sources = Math.max(...['api', 'worker', 'db', 'common', 'runtime', 'web/src'].map(newest));
  if (existsSync(marker) && statSync(marker).mtimeMs > sources && existsSync('web/build/handler.js')) return;
  await run('npm', ['run', 'build'], { timeout: 240_000 });
}

/** A built entry point as its own process, the way production runs it. */
export class ProcessGroup {
  readonly children: ChildProcess[] = [];

  start(entry: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
    const child = spawn(process.execPath, [...nodeArgs, entry], {
      env: childEnvironment({ NODE_ENV: 'production', LOG_LEVEL: 'error', ...env }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
    child.on('exit', (code) => {
      if (code) console.error(`${entry} exited with ${code}: ${stderr}`);
    });
    this.children.push(child);
    return child;
  }

  /** The built API on a free port, once it is ready; returns its base URL and process. */
  async startApi(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; port: number }> {
    const port = Number(env.PORT ?? (await freePort()));
    const child = this.start('dist/api/main.js', { ...env, PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/readyz`)).ok, 'the API', 60_000);
    return { url, child, port };
  }

  /**
   * A built worker with its own metrics port, once it polls: the worker serves /metrics only after
   * it has connected and started. A fault applied before that hits its start-up, not its running
   * (the cause of an old network-faults flake), and a worker that exits fails here at once.
   */
  async startWorker(env: Record<string, string>, nodeArgs: string[] = []): Promise<ChildProcess> {
    const port = await freePort();
    const child = this.start('dist/worker/main.js', { ...env, WORKER_METRICS_PORT: String(port) }, nodeArgs);
    const state = await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) return 'exited';
        // Any answer, 401 with METRICS_TOKEN included, means it is up.
        return (await fetch(`http://127.0.0.1:${port}/metrics`)).status > 0 && 'polling';
      },
      'the worker to poll',
      60_000,
    );
    if (state === 'exited') throw new Error(`the worker exited (${child.exitCode ?? child.signalCode}) before it polled`);
    return child;
  }

  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  }
}
