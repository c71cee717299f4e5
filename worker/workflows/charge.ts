import { authorizePayment, capturePayment, voidAuthorization } from './activity-proxies.js';
import { failureMessage } from './failures.js';
import type { PaymentRun } from './payment-run.js';

/** authorize → capture; a capture that fails for good voids the authorization (saga compensation). */
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
  try {
    await capturePayment({ paymentId, authorizationId, scenario });
  } catch (err) {
    const reason = failureMessage(err);
    await voidAuthorization({ paymentId, authorizationId });
    await payment.transition('failed', { reason, step: 'capture', compensated: true }, { failureReason: reason, compensated: true });
    return;
  }
  await payment.transition('completed', { authorizationId });
}
