import { spawn, type ChildProcess } from 'node:child_process';
import { and, eq, isNull } from 'drizzle-orm';
import type { Config } from '../common/config.js';
import { StartupError } from '../common/startup-error.js';
import type { Database } from '../db/client.js';
import { connectorAccounts } from '../db/schema.js';
import { findOrInstallGoTool, GO_TOOLS } from './go-tools.js';
import { freePortsBelow } from './ports.js';
import { identify } from './process-identity.js';
import { stopChild } from './process.js';
import { watchOver } from './watchdog.js';

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
    // Watched from the start: a test run or `npm start` killed outright must not leave it behind.
    const identity = child.pid === undefined ? undefined : identify(child.pid);
    const watchdog = identity && watchOver(identity, { signal: 'SIGTERM', graceMs: 2_000 });
    const stop = async () => {
      await stopChild(child, 3_000);
      watchdog?.disarm();
    };
    try {
      await answers(child, url);
      return { url, stop };
    } catch (err) {
      lastError = err;
      await stop();
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

/**
 * `npm start` in the embedded mode: stripe-mock for the merchants' Stripe connector accounts, so a
 * demo runs without reaching Stripe. Only when some merchant has one (not removed) and
 * STRIPE_API_URL names no Stripe of its own; without Go (and no built binary) it says so in one
 * line and goes on: those accounts then call Stripe itself.
 */
export async function startStripeMockForMerchants(
  db: Pick<Database, 'select'>,
  config: Pick<Config, 'STRIPE_API_URL'>,
): Promise<StripeMock | undefined> {
  if (config.STRIPE_API_URL) return undefined;
  const [account] = await db
    .select({ id: connectorAccounts.id })
    .from(connectorAccounts)
    .where(and(eq(connectorAccounts.kind, 'stripe'), isNull(connectorAccounts.removedAt)))
    .limit(1);
  if (!account) return undefined;
  try {
    return await startStripeMock({ log: (line) => console.log(line) });
  } catch (err) {
    console.log(
      `stripe-mock not started (${err instanceof Error ? err.message : String(err)}); Stripe connector accounts will call Stripe itself`,
    );
    return undefined;
  }
}
