import { describe, expect, it } from 'vitest';
import { containsCardNumber } from './text-rules.js';

// Test numbers published by the card networks (via Stripe's and PayPal's testing pages).
const CARDS = [
  '4242424242424242',
  '4000056655665556',
  '5555555555554444',
  '2223003122003222',
  '378282246310005',
  '6011111111111117',
  '3056930009020004',
  '6200000000000005',
  '4222222222222',
];

describe('card numbers in free text', () => {
  it.each(CARDS)('finds %s however it is written', (card) => {
    expect(containsCardNumber(card)).toBe(true);
    expect(containsCardNumber(`pay with ${card.replace(/(\d{4})(?=\d)/g, '$1 ')} please`)).toBe(true);
    expect(containsCardNumber(card.replace(/(\d{4})(?=\d)/g, '$1-'))).toBe(true);
  });

  it('finds a number followed by its security code, or written with dots or underscores', () => {
    for (const text of ['card 4111 1111 1111 1111 123', '4111.1111.1111.1111', '4111_1111_1111_1111', 'exp 12/27 4242-4242-4242-4242']) {
      expect(containsCardNumber(text), text).toBe(true);
    }
  });

  it('leaves ordinary numbers alone: ids, epoch-millisecond timestamps, phone numbers, a card number with a typo', () => {
    for (const text of [
      'order 1234567890123',
      `crash-${1795440192235}-0`,
      '1795440192235',
      '+44 20 7946 0958',
      '4242424242424241',
      'A-17',
      '2026-01-31T12:00:00Z',
      '192.168.100.200',
      'v1.24.0',
      '12345678901234567890123',
    ]) {
      expect(containsCardNumber(text), text).toBe(false);
    }
  });
});
