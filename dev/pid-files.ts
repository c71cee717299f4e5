import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../common/startup-error.js';
import { identify, isSameProcess, type ProcessIdentity } from './process-identity.js';
import { stopProcess } from './process.js';

/**
 * Pid files under DATA_DIR: who runs this data directory's services (the supervisor) and the child
 * processes it started. A supervisor killed with -9 leaves them behind; the next start reads them
 * to stop what is still ours, and only that.
 */
export class PidFiles {
  constructor(readonly dir: string) {}

  /** Records a live process under `name`; without /proc there is nothing to record. */
  async record(name: string, pid: number): Promise<ProcessIdentity | undefined> {
    const identity = identify(pid);
    if (!identity) return undefined;
    await mkdir(this.dir, { recursive: true });
    // Written aside and renamed: a crash mid-write never leaves half a record.
    const file = this.file(name);
    await writeFile(`${file}.tmp`, `${JSON.stringify(identity)}\n`);
    await rename(`${file}.tmp`, file);
    return identity;
  }

  read(name: string): ProcessIdentity | undefined {
    try {
      const value = JSON.parse(readFileSync(this.file(name), 'utf8')) as Partial<ProcessIdentity>;
      const valid = Number.isInteger(value.pid) && typeof value.startTime === 'string' && Array.isArray(value.command);
      return valid ? (value as ProcessIdentity) : undefined;
    } catch {
      return undefined;
    }
  }

  async remove(name: string): Promise<void> {
    await rm(this.file(name), { force: true });
  }

  /**
   * Refuses while another live supervisor runs this data directory (stopping its children would
   * pull the services from under it), then records this process as the supervisor.
   */
  async claim(): Promise<void> {
    const other = this.read(SUPERVISOR);
    if (other && other.pid !== process.pid && isSameProcess(other)) {
      throw new StartupError(
        `${path.dirname(this.dir)} is in use by another process (pid ${other.pid}: ${other.command.join(' ').slice(0, 120)}); stop it first or set DATA_DIR`,
      );
    }
    await this.record(SUPERVISOR, process.pid);
  }

  async release(): Promise<void> {
    if (this.read(SUPERVISOR)?.pid === process.pid) await this.remove(SUPERVISOR);
  }

  /**
   * Stops the process recorded under `name` if it is still the one recorded (same pid, start time
   * and command) and its command line names `ownPath` (a path inside this data directory). Anything
   * else, such as a foreign process that now has the pid, is left alone. Returns what was stopped.
   */
  async stopLeftover(
    name: string,
    ownPath: string,
    options: { signal: NodeJS.Signals; graceMs: number; group?: boolean },
  ): Promise<ProcessIdentity | undefined> {
    const recorded = this.read(name);
    const ours = recorded && isSameProcess(recorded) && recorded.command.includes(ownPath);
    if (ours) await stopProcess(recorded, options);
    await this.remove(name);
    return ours ? recorded : undefined;
  }

  private file(name: string): string {
    return path.join(this.dir, `${name}.pid.json`);
  }
}

const SUPERVISOR = 'supervisor';
