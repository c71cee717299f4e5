import { proxyActivities, sleep } from '@temporalio/workflow';

/** B0: the same shape as a payment (validate → optional delay → charge → webhook) with no-op activities. */
const { validate, charge, webhook } = proxyActivities<typeof import('./bare-activities.js')>({
  startToCloseTimeout: '15s',
});

export async function bareWorkflow(delaySeconds: number): Promise<string> {
  await validate();
  if (delaySeconds > 0) await sleep(delaySeconds * 1000);
  await charge();
  await webhook();
  return 'done';
}
