import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { parseConfig } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { startEmbeddedPostgres } from '../dev/embedded-postgres.js';
import { freePort } from '../dev/ports.js';
import { findOrInstallTemporalCli } from '../dev/temporal-cli.js';
import { startTemporalDevServer } from '../dev/temporal-dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

/**
 * Starts a throwaway embedded Postgres and Temporal dev server on free ports (or uses
 * DATABASE_URL / TEMPORAL_ADDRESS when given), migrates, and prebuilds the workflow bundle once.
 */
export default async function setup(project: TestProject) {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-test-'));
  // Postgres runs as the `postgres` user when we are root: it must be able to enter this directory.
  await chmod(scratch, 0o755);
  // DATABASE_URL / TEMPORAL_ADDRESS name services to use instead of throwaway ones.
  const given = parseConfig();
  const stops: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => console.error('teardown:', err));
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    // allSettled: a failure must not leave a sibling service starting after teardown ran.
    const results = await Promise.allSettled([
      (async () => {
        if (given.DATABASE_URL) return given.DATABASE_URL;
        const pg = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'postgres'), port: await freePort() });
        stops.push(pg.stop);
        return pg.url;
      })(),
      (async () => {
        if (given.TEMPORAL_ADDRESS) return given.TEMPORAL_ADDRESS;
        const cli = await findOrInstallTemporalCli({ explicit: given.TEMPORAL_CLI });
        const server = await startTemporalDevServer({ cli, port: await freePort() });
        stops.push(server.stop);
        return server.address;
      })(),
      (async () => {
        const workflowsPath = fileURLToPath(new URL('../worker/workflows/index.ts', import.meta.url));
        const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
        const file = path.join(scratch, 'workflow-bundle.js');
        await writeFile(file, code);
        return file;
      })(),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [databaseUrl, temporalAddress, workflowBundlePath] = results.map((r) => (r as PromiseFulfilledResult<string>).value) as [string, string, string];
    const database = await connectDatabase(databaseUrl, 1);
    await runMigrations(database.db).finally(() => database.close());
    project.provide('databaseUrl', databaseUrl);
    project.provide('temporalAddress', temporalAddress);
    project.provide('workflowBundlePath', workflowBundlePath);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string) {
    console.warn(message);
  },
  error(message: string) {
    console.error(message);
  },
};
