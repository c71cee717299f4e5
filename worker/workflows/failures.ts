import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { errorChain } from '../../common/error-chain.js';
import { PROJECTION_REFUSED_ERROR } from '../../common/workflow-api.js';

/** What went wrong in an activity, as the payment records it: the activity's own message. */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** The reason, when a projection failed because the database refuses the payment for good. */
export function refusalOf(err: unknown): string | undefined {
  // Depending on the path, the failure arrives wrapped in an ActivityFailure or as it was thrown.
  for (const e of errorChain(err)) {
    if (e instanceof ApplicationFailure && e.type === PROJECTION_REFUSED_ERROR) return e.message;
  }
  return undefined;
}
