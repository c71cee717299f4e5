import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney, relativeTime, toMinorUnits } from './format.js';

/** Currencies with 0, 2 and 3 minor digits, as ISO 4217 (and Intl) define them. */
const MINOR_DIGITS: Record<string, number> = { JPY: 0, KRW: 0, USD: 2, EUR: 2, GBP: 2, KWD: 3, BHD: 3 };

describe('formatMoney', () => {
  it('divides by the currency own minor unit, not always by 100', () => {
    expect(formatMoney(1234, 'EUR')).toBe('€12.34');
    expect(formatMoney(1234, 'JPY')).toBe('¥1,234');
    expect(formatMoney(1234, 'KWD')).toBe('KWD\u00a01.234');
    expect(formatMoney(1, 'USD')).toBe('$0.01');
    expect(formatMoney(123456789, 'USD')).toBe('$1,234,567.89');
  });

  it('follows the locale it is given', () => {
    expect(formatMoney(1234, 'EUR', 'de-DE')).toBe('12,34\u00a0€');
  });
});

describe('toMinorUnits', () => {
  it('reads major units typed in a form', () => {
    expect(toMinorUnits('12.34', 'EUR')).toBe(1234);
    expect(toMinorUnits(' 12 ', 'EUR')).toBe(1200);
    expect(toMinorUnits('12.3', 'EUR')).toBe(1230);
    expect(toMinorUnits('1234', 'JPY')).toBe(1234);
    expect(toMinorUnits('1.234', 'KWD')).toBe(1234);
  });

  it('refuses what is not an amount, or more decimals than the currency has', () => {
    for (const text of ['', 'abc', '-1', '1e3', '12.', '.5', '1,5', '12.345']) expect(toMinorUnits(text, 'EUR'), text).toBeUndefined();
    expect(toMinorUnits('1.5', 'JPY')).toBeUndefined();
  });

  it('is exact for every amount up to the largest allowed, in every minor-unit size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999_999 }), fc.constantFrom(...Object.keys(MINOR_DIGITS)), (amount, currency) => {
        const digits = MINOR_DIGITS[currency]!;
        // Written with integer arithmetic only, so no float rounding hides in the oracle.
        const scale = 10 ** digits;
        const text = digits === 0 ? String(amount) : `${Math.floor(amount / scale)}.${String(amount % scale).padStart(digits, '0')}`;
        expect(toMinorUnits(text, currency)).toBe(amount);
      }),
    );
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const at = (offsetMs: number) => new Date(now + offsetMs).toISOString();

  it('picks the largest whole unit, in both directions', () => {
    expect(relativeTime(at(0), now)).toBe('now');
    expect(relativeTime(at(-30_000), now)).toBe('30 seconds ago');
    expect(relativeTime(at(90_000), now)).toBe('in 2 minutes');
    expect(relativeTime(at(-3 * 3_600_000), now)).toBe('3 hours ago');
    expect(relativeTime(at(86_400_000), now)).toBe('tomorrow');
    expect(relativeTime(at(-30 * 86_400_000), now)).toBe('30 days ago');
  });
});
