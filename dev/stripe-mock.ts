import { spawn, type ChildProcess } from 'node:child_process';
import { StartupError } from '../common/startup-error.js';
import { findOrInstallGoTool, GO_TOOLS } from './go-tools.js';
import { freePortsBelow } from './ports.js';
import { stopChild } from './process.js';

export interface StripeMock {
  /** What STRIPE_API_URL gets: http://127.0.0.1:<port>. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts stripe-mock (Stripe's own mock server, which checks every request against Stripe's
 * OpenAPI spec and answers 400 to one that does not conform), built once into the per-user cache.
 * It listens on two ports below 32768 (it always opens HTTPS too; its default 12112 may be taken).
 */
export async function startStripeMock(options: { log?: (line: string) => void } = {}): Promise<StripeMock> {
  const binary = await findOrInstallGoTool(GO_TOOLS['stripe-mock'], { log: options.log });
  let lastError: unknown;
  // A port found free can be taken before stripe-mock binds it: other ports, a few times.
  for (let attempt = 0; attempt < 5; attempt++) {
    const [http, https] = await freePortsBelow(2);
    const child = spawn(binary, ['-http-addr', `127.0.0.1:${http}`, '-https-addr', `127.0.0.1:${https}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = `http://127.0.0.1:${http}`;
    try {
      await answers(child, url);
      const killOnExit = () => child.kill('SIGKILL');
      process.once('exit', killOnExit);
      return {
        url,
        stop: async () => {
          process.off('exit', killOnExit);
          await stopChild(child, 3_000);
        },
      };
    } catch (err) {
      lastError = err;
      await stopChild(child, 3_000);
    }
  }
  throw new StartupError(`stripe-mock did not start: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

/** Polls an authenticated read until stripe-mock answers it, or fails when it exits or the deadline passes. */
async function answers(child: ChildProcess, url: string, timeoutMs = 15_000): Promise<void> {
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk) => (output = (output + chunk).slice(-2000)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited: ${lastLine(output)}`);
    const ok = await fetch(`${url}/v1/balance`, {
      headers: { authorization: 'Bearer sk_test_probe' },
      signal: AbortSignal.timeout(1_000),
    }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no answer on ${url} within ${timeoutMs} ms: ${lastLine(output)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function lastLine(output: string): string {
  return output.trim().split('\n').pop() ?? '';
}
