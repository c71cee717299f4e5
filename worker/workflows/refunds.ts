import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { refundUpdate, refundsQuery, type RefundsWorkflowInput, type RefundsWorkflowResult } from '../../common/refund-api.js';
import { RefundsRun } from './refunds-run.js';

/** With nothing asked for this long, the run ends; a later refund starts a new run, which reloads the payment. */
export const REFUNDS_IDLE = '10 minutes';

/**
 * The refunds of one payment (workflow id `<paymentId>/refunds`, started by the API with
 * Update-With-Start). Refunds run one after another in this run, so what is refundable is known
 * exactly: the update's validator refuses an amount above what is captured minus what is refunded
 * or being refunded. It starts once the payment's own workflow is done, continuing its versions and
 * its webhook lanes.
 */
export async function refundsWorkflow(input: RefundsWorkflowInput): Promise<RefundsWorkflowResult> {
  const run = new RefundsRun(input);
  setHandler(refundUpdate, (request) => run.request(request), { validator: (request) => run.validate(request) });
  setHandler(refundsQuery, () => run.refunds());
  await run.load();
  for (;;) {
    const next = run.next();
    if (next) {
      await run.process(next);
      continue;
    }
    if (await condition(() => run.hasQueued(), REFUNDS_IDLE)) continue;
    // Idle: the run ends once its deliveries are done, unless a refund arrives meanwhile.
    let drained = false;
    void run.drainWebhooks().then(() => (drained = true));
    await condition(() => drained || run.hasQueued());
    if (!run.hasQueued()) break;
  }
  await condition(allHandlersFinished);
  return run.result();
}
