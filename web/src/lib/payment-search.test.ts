import { describe, expect, it } from 'vitest';
import { parsePaymentSearch } from './payment-search.js';

const ID = 'pay_01JABCDEFGHJKMNPQRSTVWXYZ0';

describe('parsePaymentSearch', () => {
  it.each([ID, ID.toLowerCase(), `PAY_${ID.slice(4).toLowerCase()}`, `  ${ID} `, ID.slice(4)])('finds the whole id from %s', (typed) => {
    expect(parsePaymentSearch(typed)).toEqual({ kind: 'id', search: ID });
  });

  it('turns the beginning of an id, in any case, into a prefix below its upper bound', () => {
    expect(parsePaymentSearch('pay_01jab')).toEqual({ kind: 'id-prefix', prefix: 'pay_01JAB' });
  });

  it('leaves references and other text to the API (negative control)', () => {
    expect(parsePaymentSearch('pay-abc')).toEqual({ kind: 'text', search: 'pay-abc' });
    expect(parsePaymentSearch('A-17')).toEqual({ kind: 'text', search: 'A-17' });
    // `L` is not a ULID digit, so this cannot be an id.
    expect(parsePaymentSearch('pay_01L')).toEqual({ kind: 'text', search: 'pay_01L' });
    expect(parsePaymentSearch('   ')).toBeUndefined();
  });
});
