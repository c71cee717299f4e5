import type { ChildProcess } from 'node:child_process';
import { hasExited, isSameProcess, type ProcessIdentity } from './process-identity.js';

/** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/**
 * Stops a process that is not our child (we cannot wait for its exit event): the signal, a bounded
 * wait, then SIGKILL. Every signal goes only to the very process recorded, never to a pid the
 * kernel has since handed to someone else. `group` signals its whole process group.
 */
export async function stopProcess(
  target: ProcessIdentity,
  options: { signal: NodeJS.Signals; graceMs: number; group?: boolean },
): Promise<void> {
  const send = (signal: NodeJS.Signals) => {
    if (!isSameProcess(target)) return;
    try {
      process.kill(options.group ? -target.pid : target.pid, signal);
    } catch {
      // Gone in the meantime.
    }
  };
  const goneWithin = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (!hasExited(target)) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  };
  send(options.signal);
  if (await goneWithin(options.graceMs)) return;
  send('SIGKILL');
  if (!(await goneWithin(5_000))) throw new Error(`process ${target.pid} (${target.command[0]}) survived SIGKILL`);
}
