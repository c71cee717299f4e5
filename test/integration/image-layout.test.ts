import { childEnvironment, parseToolConfig } from '../../common/config.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/ports.js';
import { ensureBuilt, waitFor } from '../process-group.js';
import { processEnv } from '../processes.js';

/**
 * Each image as its Dockerfile assembles it, without a Docker engine: the runtime stage's COPY lines
 * are replayed into a temporary root from this checkout's build (`npm run build` is the build stage's
 * RUN), its ENV and WORKDIR applied, and its CMD and HEALTHCHECK run there. One difference, on
 * purpose: node_modules is a symlink to the checkout's (with devDependencies), since `npm prune` cannot
 * be replayed without a second install. The Dockerfile read is `IMAGE_LAYOUT_DOCKERFILE` if set
 * (how an older Dockerfile was shown to fail this test), else ./Dockerfile.
 */

const run = promisify(execFile);
const DOCKERFILE = parseToolConfig().IMAGE_LAYOUT_DOCKERFILE;

interface Stage {
  name: string;
  from: string;
  lines: string[];
}

function parseStages(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM (\S+)(?: AS (\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1]!, name: from[2] ?? `stage-${stages.length}`, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

/** The target's own stage and every stage it is built FROM, base first. */
function chain(stages: Stage[], target: string): Stage[] {
  const stage = stages.find((s) => s.name === target);
  if (!stage) throw new Error(`no stage ${target} in ${DOCKERFILE}`);
  return [...(stages.some((s) => s.name === stage.from) ? chain(stages, stage.from) : []), stage];
}

interface Layout {
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
  healthcheck?: string[];
}

/** Replays the target's COPY, ENV and WORKDIR lines into a fresh directory. */
async function assemble(stages: Stage[], target: string): Promise<Layout> {
  const root = await mkdtemp(path.join(tmpdir(), `image-${target}-`));
  const inRoot = (p: string) => path.join(root, p);
  let workdir = '/';
  const env: Record<string, string> = {};
  let cmd: string[] = [];
  let healthcheck: string[] | undefined;
  for (const stage of chain(stages, target)) {
    for (const line of stage.lines) {
      const [instruction, ...rest] = line.split(/\s+/);
      const args = rest.join(' ');
      switch (instruction!.toUpperCase()) {
        case 'WORKDIR':
          workdir = path.posix.resolve(workdir, args);
          await mkdir(inRoot(workdir), { recursive: true });
          break;
        case 'ENV':
          for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
          break;
        case 'CMD':
          cmd = JSON.parse(args);
          break;
        case 'HEALTHCHECK':
          healthcheck = JSON.parse(args.slice(args.indexOf(' CMD ') + 5));
          break;
        case 'COPY': {
          const words = rest.filter((w) => !w.startsWith('--chmod') && !w.startsWith('--chown'));
          const fromStage = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
          const rawDest = words.pop()!;
          const dest = path.posix.resolve(workdir, rawDest);
          const intoDirectory = rawDest.endsWith('/') || rawDest === '.' || words.length > 1;
          for (const src of words) {
            // The build stage is the checkout after `npm run build` (its WORKDIR /app holds `COPY . .`).
            const from = fromStage ? path.posix.relative('/app', src) : src;
            if (from.startsWith('..')) throw new Error(`COPY of ${src} from outside the build's /app`);
            const to = inRoot(intoDirectory ? path.posix.join(dest, path.posix.basename(src)) : dest);
            await mkdir(path.dirname(to), { recursive: true });
            if (from === 'node_modules') await symlink(path.resolve('node_modules'), to, 'dir');
            else await cp(path.resolve(from), to, { recursive: true });
          }
          break;
        }
        default:
        // RUN, USER, EXPOSE, ARG: the build itself is `npm run build` in the checkout.
      }
    }
  }
  return { root, workdir: inRoot(workdir), env, cmd, healthcheck };
}

const children: ChildProcess[] = [];
const roots: string[] = [];
let stages: Stage[];
let baseEnv: Record<string, string>;

function start(layout: Layout, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const [command, ...args] = layout.cmd;
  const child = spawn(command === 'node' ? process.execPath : command!, args, {
    cwd: layout.workdir,
    env: childEnvironment({ ...layout.env, ...env, LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output = (output + c).slice(-4000)));
  child.stderr!.on('data', (c) => (output = (output + c).slice(-4000)));
  children.push(child);
  return { child, output: () => output };
}

/** The image's HEALTHCHECK command, run as Docker would: exit 0 is healthy. */
async function healthy(layout: Layout, env: Record<string, string>): Promise<boolean> {
  const [command, ...args] = layout.healthcheck!;
  return run(command === 'node' ? process.execPath : command!, args, {
    cwd: layout.workdir,
    env: childEnvironment({ ...layout.env, ...env }),
    timeout: 3000,
  }).then(
    () => true,
    () => false,
  );
}

/** Starts the target's CMD and waits for its HEALTHCHECK, failing early with the output if it exits. */
async function startHealthy(target: string, env: Record<string, string>) {
  const layout = await assemble(stages, target);
  roots.push(layout.root);
  const proc = start(layout, env);
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`${target} exited with ${proc.child.exitCode}: ${proc.output()}`);
      return healthy(layout, env);
    },
    `the ${target} image's HEALTHCHECK`,
    60_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.output()}`);
  });
  return { layout, ...proc };
}

beforeAll(async () => {
  await ensureBuilt();
  stages = parseStages(await readFile(DOCKERFILE, 'utf8'));
  baseEnv = processEnv({ ANONYMOUS_AS_DEMO: 'true' });
}, 300_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

describe('images assembled from the Dockerfile start and serve', () => {
  let apiUrl: string;

  it('migrate: applies the migrations and exits 0', { timeout: 60_000 }, async () => {
    const layout = await assemble(stages, 'migrate');
    roots.push(layout.root);
    const proc = start(layout, baseEnv);
    const code = await new Promise<number | null>((resolve) => proc.child.on('exit', resolve));
    expect(code, proc.output()).toBe(0);
  });

  it('api: becomes healthy by its own HEALTHCHECK and answers the REST contract', { timeout: 90_000 }, async () => {
    const port = String(await freePort());
    await startHealthy('api', { ...baseEnv, PORT: port });
    apiUrl = `http://127.0.0.1:${port}`;
    const res = await fetch(`${apiUrl}/payments`);
    expect(res.status).toBe(200);
  });

  it('worker: becomes healthy by its own HEALTHCHECK (metrics served)', { timeout: 90_000 }, async () => {
    await startHealthy('worker', { ...baseEnv, WORKER_METRICS_PORT: String(await freePort()) });
  });

  it('web: serves the dashboard page, and its HEALTHCHECK holds while the API is away', { timeout: 90_000 }, async () => {
    const port = String(await freePort());
    const { layout } = await startHealthy('web', { ...baseEnv, WEB_PORT: port, API_URL: apiUrl });
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Payments</title>');
    expect(html).toContain('Overview');
    // Pointed at an API that is not there, the health check still passes (no restart loop).
    expect(await healthy(layout, { ...baseEnv, WEB_PORT: port, API_URL: `http://127.0.0.1:${await freePort()}` })).toBe(true);
  });

  it("the README's merchant command runs in the api image", { timeout: 60_000 }, async () => {
    const readme = await readFile('README.md', 'utf8');
    const documented = /docker compose run --rm api (merchant [^\n#]*?)\s*(?:#|\n)/.exec(readme)?.[1];
    expect(documented, 'README shows `docker compose run --rm api merchant …`').toBeDefined();
    const words = documented!.match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));
    const layout = await assemble(stages, 'api');
    roots.push(layout.root);
    // The image's PATH has /usr/local/bin; here the wrapper is run from the assembled root, with the
    // image's absolute /app mapped to the assembled one.
    const wrapper = path.join(layout.root, 'usr/local/bin', words[0]!);
    const script = (await readFile(wrapper, 'utf8')).replaceAll('/app/', `${layout.workdir}/`);
    await writeFile(wrapper, script);
    const { stdout } = await run('sh', [wrapper, ...words.slice(1)], {
      cwd: layout.workdir,
      env: childEnvironment({ ...layout.env, ...baseEnv }),
      timeout: 30_000,
    });
    expect(stdout).toMatch(/^merchant mer_\w+ \(/m);
    expect(stdout).toMatch(/API key key_\w+: sk_[\w-]+/);
  });
});
