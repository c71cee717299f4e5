import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PidFiles } from './pid-files.js';
import { hasExited, identify, type ProcessIdentity } from './process-identity.js';

describe.skipIf(process.platform !== 'linux')('pid files', () => {
  let dir: string;
  let pids: PidFiles;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pid-files-'));
    pids = new PidFiles(path.join(dir, 'pids'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  /** A live process whose command line names `arg`, as a service names its data directory. */
  async function sleeper(arg: string): Promise<ProcessIdentity> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)', arg], { stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => child.once('spawn', r));
    return identify(child.pid!)!;
  }

  const stop = (ownPath: string) => pids.stopLeftover('service', ownPath, { signal: 'SIGTERM', graceMs: 2_000 });

  it('stops a recorded process that is still the same and names this data directory', async () => {
    const own = path.join(dir, 'postgres');
    const child = await sleeper(own);
    await pids.record('service', child.pid);
    expect(await stop(own)).toEqual(child);
    expect(hasExited(child)).toBe(true);
    expect(pids.read('service')).toBeUndefined();
  });

  it('leaves alone a process whose command line does not name this data directory', async () => {
    const child = await sleeper(path.join(dir, 'elsewhere'));
    await pids.record('service', child.pid);
    expect(await stop(path.join(dir, 'postgres'))).toBeUndefined();
    expect(hasExited(child)).toBe(false);
    // The record is stale either way: forgotten.
    expect(pids.read('service')).toBeUndefined();
  });

  it('leaves alone a pid that started at another time than recorded (recycled)', async () => {
    const own = path.join(dir, 'postgres');
    const child = await sleeper(own);
    await pids.record('service', child.pid);
    const file = path.join(pids.dir, 'service.pid.json');
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as ProcessIdentity;
    await writeFile(file, JSON.stringify({ ...recorded, startTime: String(Number(recorded.startTime) - 1) }));
    expect(await stop(own)).toBeUndefined();
    expect(hasExited(child)).toBe(false);
  });

  it('refuses while another recorded supervisor lives, and takes over from a dead one', async () => {
    const other = await sleeper('supervisor');
    const file = path.join(pids.dir, 'supervisor.pid.json');
    await pids.record('supervisor', other.pid);
    await expect(pids.claim()).rejects.toThrow(`is in use by another process (pid ${other.pid}:`);
    children[0]!.kill('SIGKILL');
    await new Promise((r) => children[0]!.once('exit', r));
    await pids.claim();
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    await pids.release();
    expect(pids.read('supervisor')).toBeUndefined();
  });
});
