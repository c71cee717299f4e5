import { describe, expect, it } from 'vitest';
import { createPaymentInput } from './payment.js';
import { newPaymentId, paymentCreatedAt, paymentReference } from './payment-id.js';
import { MAX_DATA_BYTES, paymentInputProblem } from './payment-rules.js';

const valid = { amount: 100, currency: 'usd' };

describe('createPaymentInput', () => {
  it('applies defaults and normalises the currency', () => {
    expect(createPaymentInput.parse(valid)).toEqual({ amount: 100, currency: 'USD', delaySeconds: 5, data: {}, metadata: {} });
  });

  it.each([
    [{ amount: 0 }, 'amount'],
    [{ amount: 1.5 }, 'amount'],
    [{ amount: '100' }, 'amount'],
    [{ currency: 'EURO' }, 'currency'],
    [{ currency: 'ABC' }, 'currency'],
    [{ delaySeconds: 30 * 86400 + 1 }, 'delaySeconds'],
    [{ webhookUrl: 'ftp://x' }, 'webhookUrl'],
    [{ data: [1, 2] }, 'data'],
    [{ data: { big: 'x'.repeat(MAX_DATA_BYTES) } }, 'data'],
    [{ status: 'completed' }, ''],
  ])('refuses %j naming %s', (patch, field) => {
    const result = createPaymentInput.safeParse({ ...valid, ...patch });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.join('.')).toBe(field);
  });
});

describe('payment ids', () => {
  it('are sortable by creation and carry their creation time', () => {
    const before = Date.now();
    const a = newPaymentId();
    const after = Date.now();
    expect(a).toMatch(/^pay_[0-9A-Z]{26}$/);
    expect(paymentCreatedAt(a)).toBeGreaterThanOrEqual(before);
    expect(paymentCreatedAt(a)).toBeLessThanOrEqual(after);
    expect(paymentReference(a)).toBe(`PAY-${a.slice(-12)}`);
  });
});

describe('paymentInputProblem (the workflow guard)', () => {
  it('accepts what the API accepts and refuses what bypassed it', () => {
    expect(paymentInputProblem({ amount: 1, currency: 'EUR', delaySeconds: 0 })).toBeNull();
    expect(paymentInputProblem({ amount: -1, currency: 'EUR', delaySeconds: 0 })).toMatch(/amount/);
    expect(paymentInputProblem({ amount: 1, currency: 'eu', delaySeconds: 0 })).toMatch(/currency/);
    expect(paymentInputProblem({ amount: 1, currency: 'EUR', delaySeconds: 0.5 })).toMatch(/delaySeconds/);
  });
});
