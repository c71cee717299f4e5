import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { PaymentChangeFeed } from '../../api/payment-changes.js';
import { childEnvironment } from '../../common/config.js';
import { createApiApp } from '../../api/server.js';
import { openDatabase } from '../../db/client.js';
import { freePort } from '../../dev/ports.js';
import { listen } from '../../runtime/listen.js';
import { startTestSystem, waitFor } from '../harness.js';

const run = promisify(execFile);
/** As the npm scripts run them: one node process with the tsx loader. */
const node = (entry: string) => [process.execPath, ['--import', 'tsx', entry]] as const;

/** Runs an entry point and returns its exit code and stderr (bounded by a timeout). */
async function runEntry(entry: string, env: Record<string, string>) {
  try {
    await run(...node(entry), { env: childEnvironment({ ...env, NODE_ENV: 'test' }), timeout: 30_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr.trim() };
  }
}

describe('bad configuration ends with one clear line', () => {
  const closedPort = () => freePort();

  it('a malformed variable', async () => {
    const { code, stderr } = await runEntry('api/main.ts', { PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stderr).toBe('error: invalid configuration: PORT="eighty": must be a number');
  });

  it('an unreachable DATABASE_URL', async () => {
    const port = await closedPort();
    const { code, stderr } = await runEntry('api/main.ts', { DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/x` });
    expect(code).toBe(1);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^error: cannot reach Postgres at 127.0.0.1:${port}/x: `));
    expect(stderr).not.toContain('secret');
  });

  it('a wrong TEMPORAL_ADDRESS', async () => {
    const port = await closedPort();
    const { code, stderr } = await runEntry('worker/main.ts', {
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    });
    expect(code).toBe(1);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^error: cannot reach Temporal at 127.0.0.1:${port}`));
  });

  it('a port already in use', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const { code, stderr } = await runEntry('api/main.ts', {
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      PORT: String(port),
    });
    blocker.close();
    expect(code).toBe(1);
    expect(stderr).toBe(`error: port ${port} (PORT) is already in use; stop what uses it or set PORT`);
  });
});

describe('health', () => {
  it('/healthz answers 200 and /readyz 200 when Postgres and Temporal answer', async () => {
    const system = await startTestSystem();
    try {
      expect((await fetch(`${system.apiUrl}/healthz`)).status).toBe(200);
      const ready = await fetch(`${system.apiUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', temporal: 'ok' } });
    } finally {
      await system.stop();
    }
  });

  it('with Temporal unreachable the API stays ready for reads (degraded) and answers mutations 503', async () => {
    const system = await startTestSystem();
    const deadTemporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 1_000 }) });
    const api = await listen(
      createApiApp({
        config: system.config,
        logger: system.logger,
        db: system.database.db,
        temporal: deadTemporal,
        changes: new PaymentChangeFeed(system.database.pool),
      }),
      0,
      '127.0.0.1',
    );
    try {
      const res = await fetch(`${api.url}/readyz`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; checks: { postgres: string; temporal: string } };
      expect(body).toMatchObject({ status: 'degraded', checks: { postgres: 'ok', temporal: expect.stringMatching(/^error: /) } });
      expect((await fetch(`${api.url}/api/v1/payments`)).status).toBe(200);
      const create = await fetch(`${api.url}/api/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 1, currency: 'EUR' }),
      });
      expect(create.status).toBe(503);
      expect(await create.json()).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringMatching(/workflow engine is unavailable/),
      });
    } finally {
      await api.close();
      await system.stop();
    }
  });

  it('/readyz answers 503 with the reason when Postgres is unreachable', async () => {
    const system = await startTestSystem();
    const deadDb = openDatabase(`postgres://u:p@127.0.0.1:${await freePort()}/x`, 1);
    const api = await listen(
      createApiApp({
        config: system.config,
        logger: system.logger,
        db: deadDb.db,
        temporal: system.temporal,
        changes: new PaymentChangeFeed(deadDb.pool),
      }),
      0,
      '127.0.0.1',
    );
    try {
      const res = await fetch(`${api.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: { postgres: string; temporal: string } };
      expect(body.checks.temporal).toBe('ok');
      expect(body.checks.postgres).toMatch(/^error: /);
      // A read while the database is down is a 503 with a retry hint, not a 500.
      const list = await fetch(`${api.url}/trpc/payments.list`);
      expect(list.status).toBe(503);
      expect(((await list.json()) as { error: { message: string } }).error.message).toMatch(/database is unavailable/);
    } finally {
      await api.close();
      await deadDb.close();
      await system.stop();
    }
  });
});

describe('npm start', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>) {
    const proc = spawn(...node('dev/start.ts'), { env: childEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout!.on('data', (c) => (output += c));
    proc.stderr!.on('data', (c) => (output += c));
    await waitFor(async () => output.includes('Press Ctrl-C to stop.') || proc.exitCode !== null, 'the banner', 90_000);
    expect(output).toContain('Payments is running');
    return { proc, output: () => output };
  }

  async function stop(proc: ChildProcess) {
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGINT');
    return exited;
  }

  it('starts everything, stops cleanly on Ctrl-C, and keeps data across restarts', { timeout: 240_000 }, async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'payments-start-'));
    await chmod(dataDir, 0o755);
    const ports = {
      PORT: await freePort(),
      WEB_PORT: await freePort(),
      EMBEDDED_PG_PORT: await freePort(),
      TEMPORAL_DEV_PORT: await freePort(),
      TEMPORAL_UI_PORT: await freePort(),
    };
    const env = {
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    const api = `http://127.0.0.1:${ports.PORT}`;

    const first = await start(env);
    child = first.proc;
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.WEB_PORT}/`)).status).toBe(200);
    const created = await fetch(`${api}/trpc/payments.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 4200, currency: 'GBP', delaySeconds: 0 }),
    });
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { result: { data: { id: string } } }).result.data.id;
    const completed = () =>
      waitFor(async () => {
        const res = await fetch(`${api}/trpc/payments.get?input=${encodeURIComponent(JSON.stringify({ id }))}`);
        const body = (await res.json()) as { result?: { data: { status: string } } };
        return body.result?.data.status === 'completed';
      }, 'the payment to complete');
    await completed();

    expect(await stop(first.proc)).toBe(0);
    // Nothing of the tree remains: every port it used is free again.
    for (const port of Object.values(ports)) expect(await isFree(port), `port ${port} still in use`).toBe(true);
    const leftovers = (await run('ps', ['-eo', 'args'])).stdout.split('\n').filter((l) => l.includes(dataDir));
    expect(leftovers).toEqual([]);

    const second = await start(env);
    child = second.proc;
    await completed();
    expect(await stop(second.proc)).toBe(0);
  });
});

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer().once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
