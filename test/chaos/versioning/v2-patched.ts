import { patched, sleep } from '@temporalio/workflow';

/** A new step, added the right way: histories of v1 take the old path. */
export async function versionedWorkflow(): Promise<string> {
  await sleep(10);
  if (patched('extra-wait')) await sleep(10);
  return 'done';
}
