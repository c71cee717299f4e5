import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { childEnvironment } from '../common/config.js';
import { StartupError } from '../common/startup-error.js';
import type { Listening } from '../runtime/listen.js';
import type { DashboardThreadData, DashboardThreadMessage } from './dashboard-thread.js';

/** The repository root, from the sources (web/) or from dist/web/. */
const root = fileURLToPath(
  new URL(existsSync(fileURLToPath(new URL('../svelte.config.js', import.meta.url))) ? '..' : '../..', import.meta.url),
);
const handlerFile = path.join(root, 'web/build/handler.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the dashboard when its build is missing or older than its sources (first `npm start`). */
export async function ensureDashboardBuilt(log: (line: string) => void = console.log): Promise<void> {
  const sources = path.join(root, 'web/src');
  if (existsSync(handlerFile) && (!existsSync(sources) || statSync(handlerFile).mtimeMs >= newestMtime(sources))) return;
  log('building the dashboard (first start or changed sources)…');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'build:web'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new StartupError(`the dashboard build failed: ${stderr.trim().split('\n').pop()}`)),
    );
  });
}

/**
 * The SvelteKit dashboard (adapter-node build) listening on its own thread. The build reads its
 * configuration (API_URL, PROTOCOL_HEADER, the rest of the variables) from the environment when it
 * loads; a thread has an environment of its own, so the values given here reach it without this
 * process's environment being written.
 */
export interface RunningDashboard extends Listening {
  /** Settles when the dashboard is closed; rejects if its thread ended on its own. */
  done: Promise<void>;
}

export async function startDashboard(options: { port: number; host: string; env?: Record<string, string> }): Promise<RunningDashboard> {
  if (!existsSync(handlerFile)) throw new StartupError('the dashboard is not built: run `npm run build:web`');
  const env = childEnvironment();
  // adapter-node assumes https unless told otherwise, and SvelteKit's CSRF check then refuses the
  // forms of a plain-http dashboard. A TLS proxy in front sets X-Forwarded-Proto itself.
  env.PROTOCOL_HEADER ??= 'x-forwarded-proto';
  const workerData: DashboardThreadData = { handlerFile, port: options.port, host: options.host };
  const thread = startThread({ env: { ...env, ...options.env }, workerData });
  const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
  const next = () =>
    new Promise<DashboardThreadMessage>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
      void exited.then((code) => reject(new Error(`the dashboard's thread exited (${code})`)));
    });
  const answer = await next().catch(async (err: unknown) => {
    await thread.terminate();
    throw err;
  });
  if (!('listening' in answer)) {
    await thread.terminate();
    const message = 'failed' in answer ? answer.failed : 'unexpected answer';
    throw 'startup' in answer && answer.startup ? new StartupError(message) : new Error(`the dashboard did not start: ${message}`);
  }
  let closing = false;
  let lastError: Error | undefined;
  thread.on('error', (err) => (lastError = err));
  const done = exited.then((code) => {
    if (closing) return;
    throw new Error(`the dashboard stopped on its own (thread exit ${code})${lastError ? `: ${lastError.message}` : ''}`);
  });
  return {
    url: answer.listening,
    done,
    close: async () => {
      closing = true;
      const closed = next().catch(() => undefined);
      thread.postMessage('close');
      await closed;
      await thread.terminate();
    },
  };
}

/** Built, the thread is a .js beside this file; from sources (tsx), the .ts is loaded through tsx. */
function startThread(options: WorkerOptions): Worker {
  const built = new URL('./dashboard-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return new Worker(built, options);
  const source = new URL('./dashboard-thread.ts', import.meta.url).href;
  const load = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(source)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(load, { ...options, eval: true });
}
