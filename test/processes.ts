import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { payments, simulatorCharges } from '../db/schema.js';
import { freePort } from '../dev/ports.js';
import { inject } from 'vitest';
import { waitFor } from './harness.js';

const run = promisify(execFile);

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

/** `npm run build` unless dist/ is newer than every source it is built from. */
export async function ensureBuilt(): Promise<void> {
  const marker = 'dist/worker/workflow-bundle.js';
  const sources = Math.max(...['api', 'worker', 'db', 'common', 'web/src'].map(newest));
  if (existsSync(marker) && statSync(marker).mtimeMs > sources && existsSync('web/build/handler.js')) return;
  await run('npm', ['run', 'build'], { timeout: 240_000 });
}

/**
 * Environment for built processes on the test services: a task queue of their own (so no other
 * test's worker takes their work), the demo merchant, no rate limit in the way.
 */
export function processEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `processes-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    ANONYMOUS_AS_DEMO: 'true',
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  };
}

/** A built entry point as its own process, the way production runs it. */
export class ProcessGroup {
  readonly children: ChildProcess[] = [];

  start(entry: string, env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, [entry], {
      env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
    child.on('exit', (code) => {
      if (code) console.error(`${entry} exited with ${code}: ${stderr}`);
    });
    this.children.push(child);
    return child;
  }

  /** The built API on a free port, once it is ready; returns its base URL and process. */
  async startApi(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; port: number }> {
    const port = Number(env.PORT ?? (await freePort()));
    const child = this.start('dist/api/main.js', { ...env, PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/readyz`)).ok, 'the API', 60_000);
    return { url, child, port };
  }

  /** A built worker with its own metrics port. */
  async startWorker(env: Record<string, string>): Promise<ChildProcess> {
    return this.start('dist/worker/main.js', { ...env, WORKER_METRICS_PORT: String(await freePort()) });
  }

  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  }
}

export async function createPayments(api: string, count: number, make: (i: number) => Record<string, unknown>, concurrency = 10): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(concurrency, count - start) }, async (_, j) => {
        const res = await fetch(`${api}/api/v1/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(make(start + j)),
        });
        if (res.status !== 200) throw new Error(`create answered ${res.status}: ${await res.text()}`);
        return ((await res.json()) as { id: string }).id;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

/** Waits until every payment is final; returns the counts by status. */
export async function waitAllFinal(db: Database, ids: string[], timeoutMs: number) {
  const counts = () =>
    db
      .select({ status: payments.status, n: sql<number>`count(*)::int` })
      .from(payments)
      .where(inArray(payments.id, ids))
      .groupBy(payments.status);
  await waitFor(async () => {
    const rows = await counts();
    return rows.reduce((s, r) => s + (['completed', 'failed', 'canceled'].includes(r.status) ? r.n : 0), 0) === ids.length;
  }, `${ids.length} payments to finish`, timeoutMs);
  return Object.fromEntries((await counts()).map((r) => [r.status, r.n]));
}

/** The simulator's ledger for these payments: status → count (one row per payment by its key). */
export async function ledgerOf(db: Database, ids: string[]) {
  const rows = await db
    .select({ status: simulatorCharges.status, n: sql<number>`count(*)::int` })
    .from(simulatorCharges)
    .where(inArray(simulatorCharges.paymentId, ids))
    .groupBy(simulatorCharges.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
