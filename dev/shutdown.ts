export interface ShutdownSequence {
  /** Registers a stop step; steps run in reverse order of registration (last started, first stopped). */
  add(stop: () => Promise<unknown> | unknown): void;
  /** Runs the steps now (after a failed start), once. */
  run(): Promise<void>;
}

/**
 * Installed before anything starts, so a SIGINT/SIGTERM arriving mid-start is never swallowed: the
 * first signal stops what has started so far, in reverse order, then exits; a second exits at once.
 */
export function shutdownOnSignal(): ShutdownSequence {
  const steps: Array<() => Promise<unknown> | unknown> = [];
  let running: Promise<void> | undefined;
  const run = () =>
    (running ??= (async () => {
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (err) {
          console.error('shutdown step failed:', err);
        }
      }
    })());
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      console.error(`${signal} again: exiting now`);
      process.exit(130);
    }
    signalled = true;
    console.error(`${signal}: shutting down…`);
    void run().then(() => process.exit(0));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { add: (stop) => void steps.push(stop), run };
}
