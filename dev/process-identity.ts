import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * What identifies a running process beyond its pid, which the kernel hands out again once it is free:
 * its start time (clock ticks since boot, field 22 of /proc/<pid>/stat) and its command line.
 * Linux only; elsewhere nothing is known, so nothing is ever taken for ours.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
  command: string[];
}

/** Whether this system can tell (Linux /proc); without it, no process is ever taken for ours or for gone. */
export const canIdentify = (): boolean => existsSync('/proc/self/stat');

/** State and start time of whatever has the pid now; undefined when nothing has it. */
function statOf(pid: number): { state: string; startTime: string } | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name (field 2) is in parentheses and may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] && fields[19] ? { state: fields[0], startTime: fields[19] } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the process has finished exiting. A zombie lingers only until it is reaped and holds
 * nothing, but a multi-threaded process shows its first thread as a zombie while the other threads
 * still run (and still hold its files and ports).
 */
export function hasExited(target: ProcessIdentity): boolean {
  const now = statOf(target.pid);
  if (!now || now.startTime !== target.startTime || now.state === 'X') return true;
  if (now.state !== 'Z') return false;
  try {
    return readdirSync(`/proc/${target.pid}/task`).length <= 1;
  } catch {
    return true;
  }
}

/** The identity of a live process; undefined when it is gone or exiting, or /proc cannot tell. */
export function identify(pid: number): ProcessIdentity | undefined {
  const now = statOf(pid);
  if (!now || now.state === 'Z' || now.state === 'X') return undefined;
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (command.at(-1) === '') command.pop();
    return { pid, startTime: now.startTime, command };
  } catch {
    return undefined;
  }
}

/** Whether `pid` still is the very process that `recorded` describes (same start, same command). */
export function isSameProcess(recorded: ProcessIdentity): boolean {
  const now = identify(recorded.pid);
  return now !== undefined && now.startTime === recorded.startTime && now.command.join('\0') === recorded.command.join('\0');
}
