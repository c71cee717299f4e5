import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stopSequence } from './shutdown.js';

const SHUTDOWN = fileURLToPath(new URL('./shutdown.ts', import.meta.url));

/**
 * A real process with real signals: it registers a stop step that never ends (a worker waiting on a
 * stuck local activity) and a child process of its own (a database server), then gets SIGTERM.
 */
function supervisor(options: { servicesHang: boolean }) {
  const script = `
    import { spawn } from 'node:child_process';
    import { shutdownOnSignal } from ${JSON.stringify(SHUTDOWN)};
    const shutdown = shutdownOnSignal({ deadlineMs: 3000 });
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    shutdown.addLastResort(() => child.kill('SIGKILL'));
    shutdown.add(async () => {
      ${options.servicesHang ? 'await new Promise(() => {});' : "child.kill('SIGTERM'); console.log('services stopped');"}
    });
    shutdown.add(() => new Promise(() => {}));
    console.log('child ' + child.pid);
    setInterval(() => {}, 1000);
  `;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  const childPid = new Promise<number>((resolve) => {
    const check = () => (/child (\d+)/.test(out) ? resolve(Number(/child (\d+)/.exec(out)![1])) : setTimeout(check, 20));
    check();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, childPid, exited, output: () => out };
}

/** Running, as opposed to gone or a zombie nobody reaped (a container's init may not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('a signalled shutdown is bounded', () => {
  it('abandons a stuck step in time for the later ones, and says so in its exit code', { timeout: 20_000 }, async () => {
    const s = supervisor({ servicesHang: false });
    const child = await s.childPid;
    const started = Date.now();
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(s.output()).toContain('services stopped');
    expect(s.output()).toMatch(/shutdown step failed: no end within \d+ ms; abandoned/);
    expect(alive(child)).toBe(false);
  });

  it('when every step hangs, kills its children within the deadline and exits 1, leaving nothing behind', { timeout: 20_000 }, async () => {
    const s = supervisor({ servicesHang: true });
    const child = await s.childPid;
    const started = Date.now();
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(3500);
    expect(s.output()).not.toContain('services stopped');
    await expect.poll(() => alive(child), { timeout: 2000 }).toBe(false);
  });
});

describe('a stop sequence', () => {
  it('stops the last started first, abandons a step that outlives its share, and runs once', async () => {
    const sequence = stopSequence({ deadlineMs: 3000 });
    const stopped: string[] = [];
    sequence.add(() => stopped.push('database'));
    sequence.add(() => new Promise(() => {}));
    sequence.add(async () => stopped.push('api'));
    const started = Date.now();
    expect(await sequence.run()).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(stopped).toEqual(['api', 'database']);
    expect(await sequence.run()).toBe(false);
    expect(stopped).toEqual(['api', 'database']);
  });

  it('is clean when every step ends, and a failing step does not stop the others', async () => {
    const clean = stopSequence();
    clean.add(() => undefined);
    expect(await clean.run()).toBe(true);
    const failing = stopSequence();
    let later = false;
    failing.add(() => (later = true));
    failing.add(() => Promise.reject(new Error('already closed')));
    expect(await failing.run()).toBe(false);
    expect(later).toBe(true);
  });
});
