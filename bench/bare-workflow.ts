import { proxyActivities, sleep } from '@temporalio/workflow';
import type { createBareActivities } from './bare-activities.js';

/** B0: the same shape as a payment (validate → optional delay → charge → webhook) with no-op activities. */
const { validate, charge, webhook } = proxyActivities<ReturnType<typeof createBareActivities>>({
  startToCloseTimeout: '15s',
});

export async function bareWorkflow(delaySeconds: number): Promise<string> {
  await validate();
  if (delaySeconds > 0) await sleep(delaySeconds * 1000);
  await charge();
  await webhook();
  return 'done';
}
