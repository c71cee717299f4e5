import { sleep } from '@temporalio/workflow';

/** The released version. */
export async function versionedWorkflow(): Promise<string> {
  await sleep(10);
  return 'done';
}
