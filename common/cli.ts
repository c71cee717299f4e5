import { ConfigError } from './config.js';
import { StartupError } from './startup-error.js';

/** Runs a command-line entry point: a known problem ends as one clear line, not a stack trace. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) console.error(`error: ${err.message}`);
    else console.error(err);
    process.exitCode = 1;
    // Open handles (pools, native runtimes) must not keep a failed start alive.
    setTimeout(() => process.exit(1), 200).unref();
  }
}
