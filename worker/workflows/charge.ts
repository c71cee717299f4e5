import { authorizePayment, capturePayment, voidAuthorization } from './activity-proxies.js';
import { failureMessage } from './failures.js';
import { awaitCapture } from './capture.js';
import type { PaymentRun } from './payment-run.js';

/** authorize → capture (or, for manual capture, wait for the merchant's); a capture that fails for good voids the authorization (saga compensation). */
export async function charge(payment: PaymentRun): Promise<void> {
  await payment.transition('processing', payment.processNowRequested ? { early: true } : {});
  const { paymentId, amount, currency, data } = payment.snapshot;
  const scenario = typeof data.simulate === 'string' ? data.simulate : undefined;

  let authorizationId: string;
  try {
    ({ authorizationId } = await authorizePayment({ paymentId, amount, currency, scenario }));
  } catch (err) {
    const reason = failureMessage(err);
    await payment.transition('failed', { reason, step: 'authorize' }, { failureReason: reason });
    return;
  }
  // No released history has a capture method: this branch changes nothing they replay.
  if (payment.snapshot.captureMethod === 'manual') {
    await awaitCapture(payment, authorizationId, scenario);
    return;
  }
  try {
    await capturePayment({ paymentId, authorizationId, scenario });
  } catch (err) {
    const reason = failureMessage(err);
    await voidAuthorization({ paymentId, authorizationId });
    await payment.transition('failed', { reason, step: 'capture', compensated: true }, { failureReason: reason, compensated: true });
    return;
  }
  // Only the snapshot changes (what the read model stores), not the commands: old histories replay.
  await payment.transition('completed', { authorizationId }, { capturedAmount: amount });
}
