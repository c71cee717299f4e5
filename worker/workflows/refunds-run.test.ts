import { ApplicationFailure } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { REFUND_REFUSED_ERROR, type RefundRequest } from '../../common/refund-api.js';
import { RefundsRun } from './refunds-run.js';

/**
 * The refunds update's validator, on its own: anyone with Temporal access can send an update, so it
 * applies the API's rules before anything is reserved. (As a time-skipping test this was flaky: the
 * test server sometimes skipped the run's idle timer before the rejected Update-With-Start answered.)
 */
const run = () =>
  new RefundsRun({
    paymentId: 'pay_1',
    merchantId: 'mer_1',
    payment: { status: 'completed', currency: 'EUR', capturedAmount: 1000, amountRefunded: 0 },
  });

function refusal(request: RefundRequest): string {
  try {
    run().validate(request);
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(REFUND_REFUSED_ERROR);
    return (err as ApplicationFailure).message;
  }
  throw new Error('the refund was accepted');
}

describe('refunds validator', () => {
  it('refuses a non-positive or non-integer amount and an over-long reason', () => {
    for (const amount of [-100, 0, 0.5, Number.NaN]) expect(refusal({ refundId: 're_1', amount, reason: null })).toMatch(/^amount: /);
    expect(refusal({ refundId: 're_1', amount: 100, reason: 'x'.repeat(501) })).toMatch(/^reason: /);
  });

  it('refuses more than is left on the read it has, and accepts what fits (negative control)', () => {
    expect(refusal({ refundId: 're_1', amount: 1001, reason: null })).toMatch(/more than the 1000 EUR left/);
    expect(() => run().validate({ refundId: 're_1', amount: 1000, reason: 'all of it' })).not.toThrow();
    expect(() => run().validate({ refundId: 're_1', reason: null })).not.toThrow();
  });
});
