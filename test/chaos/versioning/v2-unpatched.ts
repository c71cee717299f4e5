import { sleep } from '@temporalio/workflow';

/** The same step added without `patched()`: running v1 histories can no longer replay. */
export async function versionedWorkflow(): Promise<string> {
  await sleep(10);
  await sleep(10);
  return 'done';
}
