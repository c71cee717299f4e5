import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startStripeMock } from '../dev/stripe-mock.js';
import { startThrowawayServices } from '../dev/throwaway-services.js';
import { parseConfig } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
    /** stripe-mock, for Stripe connectors in the tests (STRIPE_API_URL). */
    stripeApiUrl: string;
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
    // The bundle builds while the services start.
    const workflowsPath = fileURLToPath(new URL('../worker/workflows/index.ts', import.meta.url));
    const bundling = bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    bundling.catch(() => {}); // awaited below; a failed start must not leave it unhandled
    const services = await startThrowawayServices({
      scratch,
      databaseUrl: given.DATABASE_URL,
      temporalAddress: given.TEMPORAL_ADDRESS,
      temporalCli: given.TEMPORAL_CLI,
    });
    stops.push(services.stop);
    const { databaseUrl, temporalAddress } = services;
    const stripeMock = await startStripeMock();
    stops.push(stripeMock.stop);
    const { code } = await bundling;
    const workflowBundlePath = path.join(scratch, 'workflow-bundle.js');
    await writeFile(workflowBundlePath, code);
    const database = await connectDatabase(databaseUrl, 1);
    await runMigrations(database.db).finally(() => database.close());
    project.provide('databaseUrl', databaseUrl);
    project.provide('temporalAddress', temporalAddress);
    project.provide('workflowBundlePath', workflowBundlePath);
    project.provide('stripeApiUrl', stripeMock.url);
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
