import { z } from 'zod';
import './zod-messages.js';

/**
 * Rules for what clients write in their own words. A payment service must not become a store of
 * card numbers (PCI DSS): a Luhn-valid run of 13 to 19 digits, with or without spaces or dashes,
 * is refused in every free-text field.
 */
// Groups of digits joined by single separators of any kind (space, dash, dot, slash, underscore…).
const DIGIT_GROUPS = /\d+(?:[^\p{L}\p{N}]\d+)*/gu;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Card networks' numbers start with 2 to 6 (Mastercard 2/5, Amex and Diners 3, Visa 4, Discover,
 * UnionPay and Maestro 5/6), and only Visa issues 13 digits. Without this, one in ten 13-digit
 * epoch-millisecond timestamps (which start with 1) would pass the Luhn check.
 */
function plausibleIssuer(digits: string): boolean {
  return /^[2-6]/.test(digits) && (digits.length !== 13 || digits.startsWith('4'));
}

/** True when the text holds something that reads as a card number. */
export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_GROUPS)) {
    const groups = match[0].split(/[^\p{L}\p{N}]/u);
    // Any consecutive whole groups may be the number: a card followed by its security code is
    // `4111 1111 1111 1111 123`. Never a window inside a group, which would flag long ids.
    for (let first = 0; first < groups.length; first++) {
      let digits = '';
      for (let last = first; last < groups.length && digits.length + groups[last]!.length <= 19; last++) {
        digits += groups[last];
        if (digits.length >= 13 && plausibleIssuer(digits) && luhnValid(digits)) return true;
      }
    }
  }
  return false;
}

export const CARD_NUMBER_MESSAGE = 'looks like a card number; card numbers must never be sent here';

/** A string a person wrote: bounded, and never a card number. */
export const freeText = (max: number, min = 0) =>
  z
    .string()
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((text) => !containsCardNumber(text), CARD_NUMBER_MESSAGE);

/**
 * Everything in a JSON value that could spell a card number, with its path: strings, object keys,
 * and whole numbers (`"pan": 4111111111111111`). The input guard already bounded the depth.
 */
export function* textsIn(value: unknown, path: Array<string | number> = []): Generator<[Array<string | number>, string]> {
  if (typeof value === 'string') yield [path, value];
  // Only what a card number can be: a whole positive number written out in digits (1e85 is not).
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) yield [path, String(value)];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* textsIn(item, [...path, i]);
  else if (value && typeof value === 'object') {
    for (const [k, item] of Object.entries(value)) {
      yield [[...path, k], k];
      yield* textsIn(item, [...path, k]);
    }
  }
}

/** An ISO-8601 date-time with an offset (what the document's `date-time` format says, no more). */
export const dateTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z' });

const EARLIEST = Date.parse('1970-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59Z');

/**
 * The instant to compare stored times with. Postgres has no year 0 (which JavaScript reads as
 * 1 BC) and nothing here predates 1970, so a bound outside 1970–9999 means "from the start" or
 * "until the end" and is clamped rather than refused.
 */
export function comparableDate(text: string): Date {
  return new Date(Math.min(LATEST, Math.max(EARLIEST, Date.parse(text))));
}
