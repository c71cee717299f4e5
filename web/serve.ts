import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StartupError } from '../common/startup-error.js';

/** The repository root, from the sources (web/) or from dist/web/. */
const root = fileURLToPath(new URL(existsSync(fileURLToPath(new URL('../svelte.config.js', import.meta.url))) ? '..' : '../..', import.meta.url));
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
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new StartupError(`the dashboard build failed: ${stderr.trim().split('\n').pop()}`))));
  });
}

/**
 * The SvelteKit dashboard (adapter-node build) as a request handler. It reads API_URL and the rest
 * of the configuration from the environment at request time.
 */
export async function dashboardHandler(): Promise<RequestListener> {
  if (!existsSync(handlerFile)) throw new StartupError('the dashboard is not built: run `npm run build:web`');
  // adapter-node assumes https unless told otherwise, and SvelteKit's CSRF check then refuses the
  // forms of a plain-http dashboard. A TLS proxy in front sets X-Forwarded-Proto itself.
  process.env.PROTOCOL_HEADER ??= 'x-forwarded-proto';
  const { handler } = (await import(pathToFileURL(handlerFile).href)) as { handler: RequestListener };
  return (req, res) => {
    req.headers['x-forwarded-proto'] ??= 'http';
    handler(req, res);
  };
}
