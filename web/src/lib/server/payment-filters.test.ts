import { describe, expect, it } from 'vitest';
import { PAYMENT_STATUSES } from '../../../../common/vocabulary.js';
import { filtersFrom, isFiltered } from './payment-filters.js';

const filters = (query: string) => filtersFrom(new URL(`http://dashboard.test/payments?${query}`));

describe('filtersFrom', () => {
  it.each(PAYMENT_STATUSES)('passes the status %s on to the API', (status) => {
    expect(filters(`status=${status}`).status).toBe(status);
  });

  it('drops a status the vocabulary does not have, but keeps it in the form as typed (negative control)', () => {
    expect(filters('status=settled').status).toBeUndefined();
    expect(filters('status=settled').form.status).toBe('settled');
  });

  it('includes the whole "to" day', () => {
    expect(filters('from=2026-01-02&to=2026-01-02')).toMatchObject({
      createdFrom: '2026-01-02T00:00:00Z',
      createdTo: '2026-01-03T00:00:00.000Z',
    });
  });

  it('hands the search to the API as typed (trimmed): the API matches ids in any case and pieces of references', () => {
    expect(filters('q=%20pay_01jab%20').q).toBe('pay_01jab');
    expect(filters('q=%20%20').q).toBeUndefined();
    expect(isFiltered(filters('q=lunch'))).toBe(true);
    expect(isFiltered(filters('sort=amount&cursor=x'))).toBe(false);
  });
});
