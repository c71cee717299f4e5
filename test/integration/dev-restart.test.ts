import { childEnvironment } from '../../common/config.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PidFiles } from '../../dev/pid-files.js';
import { freePort } from '../../dev/ports.js';
import { hasExited, identify, type ProcessIdentity } from '../../dev/process-identity.js';
import { WATCHDOG_NAME } from '../../dev/watchdog.js';
import { waitFor } from '../process-group.js';

/**
 * `npm start` as a user runs it, killed with -9 and started again on the same DATA_DIR and ports.
 * One data directory for the file: each case continues from where the previous one left it.
 */
describe('npm start after kill -9', () => {
  let dataDir: string;
  let pids: PidFiles;
  let env: Record<string, string>;
  let ports: Record<'PORT' | 'WEB_PORT' | 'EMBEDDED_PG_PORT' | 'TEMPORAL_DEV_PORT' | 'TEMPORAL_UI_PORT', number>;
  const spawned: ChildProcess[] = [];
  /** The supervisor one case leaves running for the next. */
  let running: Run | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'payments-restart-'));
    // Postgres runs as the `postgres` user when we are root: it must be able to enter this directory.
    await chmod(dataDir, 0o755);
    pids = new PidFiles(path.join(dataDir, 'pids'));
    ports = {
      PORT: await freePort(),
      WEB_PORT: await freePort(),
      EMBEDDED_PG_PORT: await freePort(),
      TEMPORAL_DEV_PORT: await freePort(),
      TEMPORAL_UI_PORT: await freePort(),
    };
    env = {
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
  });

  afterAll(async () => {
    for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Whatever a failed case left: the recorded services of this data directory only.
    for (const name of ['postgres', 'temporal']) {
      const recorded = pids?.read(name);
      if (recorded && !hasExited(recorded)) process.kill(recorded.pid, 'SIGKILL');
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** `npm start` (dev/start.ts under tsx); resolves once /readyz answers 200, or fails with its output. */
  async function start() {
    // Its own process group, as a terminal's foreground job: Ctrl-C reaches every process in it.
    const proc = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], {
      env: childEnvironment(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    spawned.push(proc);
    let output = '';
    proc.stdout!.on('data', (c) => (output += c));
    proc.stderr!.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    return { proc, exited, output: () => output };
  }
  type Run = Awaited<ReturnType<typeof start>>;

  async function startReady() {
    const run = await start();
    const outcome = await waitFor(
      async () => (run.proc.exitCode !== null ? 'exited' : (await fetch(`http://127.0.0.1:${ports.PORT}/readyz`)).ok && 'ready'),
      '/readyz',
      60_000,
    ).catch((err: Error) => err.message);
    if (outcome !== 'ready') throw new Error(`npm start did not get ready (${outcome}):\n${run.output()}`);
    return run;
  }

  /** The services the running supervisor recorded. */
  function services(): { postgres: ProcessIdentity; temporal: ProcessIdentity } {
    const postgres = pids.read('postgres');
    const temporal = pids.read('temporal');
    expect(postgres, 'postgres pid file').toBeDefined();
    expect(temporal, 'temporal pid file').toBeDefined();
    return { postgres: postgres!, temporal: temporal! };
  }

  async function kill9(run: Run) {
    run.proc.kill('SIGKILL');
    await run.exited;
  }

  it('kill -9 of the supervisor takes Postgres and Temporal with it, and the next start comes up', { timeout: 150_000 }, async () => {
    const first = await startReady();
    const { postgres, temporal } = services();
    await kill9(first);
    await waitFor(async () => hasExited(postgres) && hasExited(temporal), 'Postgres and Temporal to die with the supervisor', 5_000);

    running = await startReady();
    expect(running.output()).not.toContain('already in use');
  });

  it('children that outlived their supervisor and its watchdogs are stopped by the next start', { timeout: 120_000 }, async () => {
    expect(running, 'the previous case left npm start running').toBeDefined();
    const { postgres, temporal } = services();
    // As if the whole session was killed at once: the watchdogs first, so nothing stops the children.
    const watchdogs = watchdogsOf([postgres.pid, temporal.pid]);
    expect(watchdogs).toHaveLength(2);
    for (const dog of watchdogs) process.kill(dog, 'SIGKILL');
    await kill9(running!);
    expect(hasExited(postgres) || hasExited(temporal), 'children still running before the next start').toBe(false);

    const next = await startReady();
    expect(next.output()).toContain(`stopped Postgres (pid ${postgres.pid})`);
    expect(next.output()).toContain(`stopped the Temporal dev server (pid ${temporal.pid})`);
    expect(hasExited(postgres) && hasExited(temporal)).toBe(true);

    // Ctrl-C, as a terminal sends it (to the whole group, Postgres included), stops everything in order
    // and in time, leaving nothing behind, pid files included. It once waited 14 s for a Postgres
    // that the signal had already stopped, and abandoned the step.
    const stopping = Date.now();
    process.kill(-next.proc.pid!, 'SIGINT');
    expect(await next.exited).toBe(0);
    expect(Date.now() - stopping, next.output()).toBeLessThan(10_000);
    expect(next.output()).not.toContain('abandoned');
    expect(readdirSync(pids.dir)).toEqual([]);
  });

  it('a foreign process on the Postgres port is left alone and named in the error', { timeout: 60_000 }, async () => {
    // It even names this data directory, and its pid is in our pid file: only the recorded start
    // time (the pid recycled since) tells it is not our Postgres.
    const foreign = spawn(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen(${ports.EMBEDDED_PG_PORT}, '127.0.0.1', () => console.log('listening'))`,
        path.join(dataDir, 'postgres'),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    spawned.push(foreign);
    let listening = false;
    foreign.stdout!.once('data', () => (listening = true));
    await waitFor(async () => listening, 'the foreign listener', 10_000);
    const identity = identify(foreign.pid!)!;
    await pids.record('postgres', foreign.pid!);
    const file = path.join(pids.dir, 'postgres.pid.json');
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as ProcessIdentity;
    expect(recorded.command).toContain(path.join(dataDir, 'postgres'));
    await writeFile(file, JSON.stringify({ ...recorded, startTime: String(Number(recorded.startTime) - 1) }));

    const run = await start();
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running'), 45_000))]);
    expect(code).toBe(1);
    expect(run.output()).toContain(`port ${ports.EMBEDDED_PG_PORT} (EMBEDDED_PG_PORT) is already in use`);
    expect(hasExited(identity), 'the foreign process was killed').toBe(false);
    foreign.kill('SIGKILL');
  });
});

/** Watchdog processes (dev/watchdog.ts) guarding any of these pids. */
function watchdogsOf(children: number[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf(WATCHDOG_NAME);
      if (at > 0 && children.includes(Number(args[at + 1]))) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}
