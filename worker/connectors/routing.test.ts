import { describe, expect, it } from 'vitest';
import { acceptsPayment, type RouteRules } from './routing.js';

const any: RouteRules = { currencies: null, minAmount: null, maxAmount: null, paymentMethodTypes: null };
const payment = { amount: 1000, currency: 'EUR', methodType: 'card' };

describe('route rules', () => {
  it('unset rules accept anything', () => {
    expect(acceptsPayment(any, payment)).toBe(true);
    expect(acceptsPayment(any, { ...payment, methodType: null })).toBe(true);
  });

  it('currencies, whatever the case the payment was written in', () => {
    expect(acceptsPayment({ ...any, currencies: ['EUR', 'GBP'] }, { ...payment, currency: 'eur' })).toBe(true);
    expect(acceptsPayment({ ...any, currencies: ['USD'] }, payment)).toBe(false);
  });

  it('the amount range includes both ends', () => {
    expect(acceptsPayment({ ...any, minAmount: 1000, maxAmount: 1000 }, payment)).toBe(true);
    expect(acceptsPayment({ ...any, minAmount: 1001 }, payment)).toBe(false);
    expect(acceptsPayment({ ...any, maxAmount: 999 }, payment)).toBe(false);
  });

  it('a payment without a payment method does not meet a rule that names method types', () => {
    expect(acceptsPayment({ ...any, paymentMethodTypes: ['card'] }, payment)).toBe(true);
    expect(acceptsPayment({ ...any, paymentMethodTypes: ['bank_account'] }, payment)).toBe(false);
    expect(acceptsPayment({ ...any, paymentMethodTypes: ['card'] }, { ...payment, methodType: null })).toBe(false);
  });
});
