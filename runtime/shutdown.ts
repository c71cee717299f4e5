export interface ShutdownSequence {
  /** Registers a stop step; steps run in reverse order of registration (last started, first stopped). */
  add(stop: () => Promise<unknown> | unknown): void;
  /** A synchronous last resort (kill a child process) for when the steps did not finish in time. */
  addLastResort(kill: () => void): void;
  /** Runs the steps now (after a failed start, or when done), once; false when a step failed or was abandoned. */
  run(): Promise<boolean>;
  /** Runs the last resorts at once. */
  kill(): void;
}

/** A signalled stop ends within this, whatever is stuck. */
export const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * Stop steps that run in reverse order within a deadline. A step that hangs is abandoned when its
 * fair share of what is left runs out, so the later ones (the services) still stop.
 */
export function stopSequence(options: { deadlineMs?: number } = {}): ShutdownSequence {
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  const steps: Array<() => Promise<unknown> | unknown> = [];
  const lastResorts: Array<() => void> = [];
  let running: Promise<boolean> | undefined;
  const run = () =>
    (running ??= (async () => {
      const endBy = Date.now() + deadlineMs - 1_000;
      const pending = steps.reverse();
      let clean = true;
      for (const [i, step] of pending.entries()) {
        // Each step may use its fair share of what is left, so one stuck step cannot starve the rest.
        const budget = Math.max(500, (endBy - Date.now()) / (pending.length - i));
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(step),
            new Promise(
              (_, reject) => (timer = setTimeout(() => reject(new Error(`no end within ${Math.round(budget)} ms; abandoned`)), budget)),
            ),
          ]);
        } catch (err) {
          clean = false;
          console.error('shutdown step failed:', (err as Error).message ?? err);
        } finally {
          clearTimeout(timer);
        }
      }
      return clean;
    })());
  const kill = () => {
    for (const lastResort of lastResorts) {
      try {
        lastResort();
      } catch {
        // Already gone.
      }
    }
  };
  return { add: (stop) => void steps.push(stop), addLastResort: (k) => void lastResorts.push(k), run, kill };
}

/**
 * Installed before anything starts, so a SIGINT/SIGTERM arriving mid-start is never swallowed: the
 * first signal stops what has started so far, in reverse order, then exits. Past the deadline, or
 * on a second signal, the last resorts kill the child processes and the process exits, so no child
 * outlives it.
 */
export function shutdownOnSignal(options: { deadlineMs?: number } = {}): ShutdownSequence {
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  const sequence = stopSequence({ deadlineMs });
  const forceExit = (code: number) => {
    sequence.kill();
    process.exit(code);
  };
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      console.error(`${signal} again: stopping child processes and exiting now`);
      forceExit(130);
    }
    signalled = true;
    console.error(`${signal}: shutting down…`);
    setTimeout(() => {
      console.error(`shutdown took longer than ${deadlineMs} ms: stopping child processes and exiting`);
      forceExit(1);
    }, deadlineMs).unref();
    // Whatever was abandoned may still hold a child process: the last resorts make sure it does not.
    void sequence.run().then((clean) => (clean ? process.exit(0) : forceExit(1)));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return sequence;
}
