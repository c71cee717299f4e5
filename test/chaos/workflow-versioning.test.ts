import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const bundle = (file: string) =>
  bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL(`./versioning/${file}`, import.meta.url)),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });

async function replay(code: string, history: unknown): Promise<string | undefined> {
  try {
    await Worker.runReplayHistory({ workflowBundle: { code } }, history);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('workflow versioning guard', () => {
  it(
    'a change behind patched() replays old histories; the same change without it fails (negative control)',
    { timeout: 120_000 },
    async () => {
      const [v1, v2Patched, v2Unpatched] = await Promise.all([bundle('v1.ts'), bundle('v2-patched.ts'), bundle('v2-unpatched.ts')]);
      const taskQueue = `versioning-${Date.now()}`;
      const native = await NativeConnection.connect({ address: inject('temporalAddress') });
      const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: { code: v1.code } });
      const connection = await Connection.connect({ address: inject('temporalAddress') });
      const client = new Client({ connection });
      const history = await worker.runUntil(async () => {
        const handle = await client.workflow.start('versionedWorkflow', { taskQueue, workflowId: `versioned-${Date.now()}` });
        expect(await handle.result()).toBe('done');
        return handle.fetchHistory();
      });
      await connection.close();
      await native.close();

      expect(await replay(v1.code, history)).toBeUndefined();
      expect(await replay(v2Patched.code, history)).toBeUndefined();
      expect(await replay(v2Unpatched.code, history)).toMatch(/[Nn]ondetermin/);
    },
  );
});
