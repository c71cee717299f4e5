import { describe, expect, it } from 'vitest';
import { amendFormValues, amendmentFrom, majorUnits } from './amend-form.js';

const payment = {
  amount: 1234,
  currency: 'EUR',
  delaySeconds: 3600,
  webhookUrl: 'https://receiver.example/hook',
  description: 'T-shirt',
  metadata: { orderId: 'A-17', channel: 'web' },
} satisfies Parameters<typeof amendFormValues>[0];

describe('the amend form', () => {
  it('shows amounts in major units exactly, for 0, 2 and 3 minor digits', () => {
    expect(majorUnits(1234, 'EUR')).toBe('12.34');
    expect(majorUnits(5, 'EUR')).toBe('0.05');
    expect(majorUnits(1234, 'JPY')).toBe('1234');
    expect(majorUnits(1234, 'KWD')).toBe('1.234');
    expect(majorUnits(99_999_999_999, 'USD')).toBe('999999999.99');
  });

  it('sends nothing for the values as they are, whatever the metadata key order', () => {
    const values = { ...amendFormValues(payment), metadata: '{"channel": "web", "orderId": "A-17"}' };
    expect(amendmentFrom(values, payment)).toEqual({ amendment: {}, errors: {} });
  });

  it('sends only what changed; emptied webhook URL and description are removed', () => {
    const values = { ...amendFormValues(payment), amount: '20', currency: 'usd', webhookUrl: ' ', description: '', delaySeconds: '0' };
    expect(amendmentFrom(values, payment)).toEqual({
      amendment: { amount: 2000, currency: 'USD', delaySeconds: 0, webhookUrl: null, description: null },
      errors: {},
    });
  });

  it('names each field it cannot read', () => {
    const values = { ...amendFormValues(payment), amount: '-1', delaySeconds: '1.5', metadata: '[1]' };
    expect(amendmentFrom(values, payment).errors).toEqual({
      amount: 'Enter a positive amount, e.g. 12.50',
      delaySeconds: 'Enter whole seconds, counted from creation',
      metadata: 'Metadata must be a JSON object of strings, e.g. {"orderId": "A-17"}',
    });
  });
});
