import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { parseToolConfig } from '../../common/config.js';
import type { TestProject } from 'vitest/node';
import { findOrInstallTemporalTestServer } from '../../dev/temporal-test-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalTestServer: string;
    workflowBundlePath: string;
  }
}

/**
 * The workflow project's only setup: the time-skipping test server's executable (found, or installed
 * once with Maven) and the workflow bundle, built once per run instead of once per file.
 */
export default async function setup(project: TestProject) {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-workflow-test-'));
  try {
    const [server, code] = await Promise.all([
      findOrInstallTemporalTestServer({ explicit: parseToolConfig().TEMPORAL_TEST_SERVER }),
      bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('../../worker/workflows/index.ts', import.meta.url)),
        logger: quietLogger,
      }).then((bundle) => bundle.code),
    ]);
    const bundlePath = path.join(scratch, 'workflow-bundle.js');
    await writeFile(bundlePath, code);
    project.provide('temporalTestServer', server);
    project.provide('workflowBundlePath', bundlePath);
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
  return () => rm(scratch, { recursive: true, force: true });
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
