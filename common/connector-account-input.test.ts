import { describe, expect, it } from 'vitest';
import { connectorInputProblem, createConnectorAccountInput, credentialsHint, describeRules } from './connector-account-input.js';

describe('connector account input', () => {
  it('hints a key by its kind and last four characters only', () => {
    expect(credentialsHint('sk_test_51HabcdefghXYZ4242')).toBe('sk_test_…4242');
    expect(credentialsHint('rk_live_abcdefgh9876')).toBe('rk_live_…9876');
  });

  it('names contradicting fields that the schema lets through', () => {
    const parse = (input: unknown) => createConnectorAccountInput.parse(input);
    expect(connectorInputProblem(parse({ kind: 'stripe', label: 's' }))).toMatch(/^credentials\.secretKey: is required/);
    expect(connectorInputProblem(parse({ kind: 'simulator', label: 's', credentials: { secretKey: 'sk_test_abcdefgh' } }))).toMatch(
      /^credentials: must be left out/,
    );
    expect(connectorInputProblem(parse({ kind: 'simulator', label: 's', rules: { minAmount: 2, maxAmount: 1 } }))).toMatch(
      /^rules\.maxAmount: must be at least rules\.minAmount \(2\)/,
    );
    expect(connectorInputProblem(parse({ kind: 'simulator', label: 's', rules: { minAmount: 1, maxAmount: 1 } }))).toBeUndefined();
    expect(connectorInputProblem(parse({ kind: 'stripe', label: 's', credentials: { secretKey: 'sk_live_abcdefgh' } }))).toBeUndefined();
  });

  it('puts rules into words', () => {
    expect(describeRules({ currencies: null, minAmount: null, maxAmount: null, paymentMethodTypes: null })).toBe(
      'any currency, any amount, any payment method',
    );
    expect(
      describeRules({ currencies: ['EUR', 'USD'], minAmount: 100, maxAmount: 500, paymentMethodTypes: ['card', 'bank_account'] }),
    ).toBe('currency EUR or USD, amount 100 to 500 (minor units), paid by card or bank account');
    expect(describeRules({ currencies: null, minAmount: 100, maxAmount: null, paymentMethodTypes: null })).toContain('amount at least 100');
  });
});
