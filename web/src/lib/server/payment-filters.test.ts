import { describe, expect, it } from 'vitest';
import { PAYMENT_STATUSES } from '../../../../common/vocabulary.js';
import { filtersFrom, listPage } from './payment-filters.js';

const filters = (query: string) => filtersFrom(new URL(`http://dashboard.test/payments?${query}`));

describe('filtersFrom', () => {
  it.each(PAYMENT_STATUSES)('passes the status %s on to the API', (status) => {
    expect(filters(`status=${status}`).status).toBe(status);
  });

  it('drops a status the vocabulary does not have, but keeps it in the form as typed (negative control)', () => {
    expect(filters('status=refunded').status).toBeUndefined();
    expect(filters('status=refunded').form.status).toBe('refunded');
  });

  it('includes the whole "to" day', () => {
    expect(filters('from=2026-01-02&to=2026-01-02')).toMatchObject({
      createdFrom: '2026-01-02T00:00:00Z',
      createdTo: '2026-01-03T00:00:00.000Z',
    });
  });
});

describe('search', () => {
  it('passes a whole id in the API spelling, whatever case it was typed in', () => {
    expect(filters('q=PAY_01jabcdefghjkmnpqrstvwxyz0')).toMatchObject({ search: 'pay_01JABCDEFGHJKMNPQRSTVWXYZ0', idPrefix: undefined });
  });

  it('lists a partial id below its upper bound and keeps only ids with the prefix', async () => {
    const f = filters('q=pay_01jab');
    expect(f.search).toBeUndefined();
    const seen: Array<string | undefined> = [];
    const page = await listPage(
      async (input) => {
        seen.push(input.cursor);
        return { items: [{ id: 'pay_01JABX' }, { id: 'pay_01JAAA' }], nextCursor: 'pay_01JAAA' };
      },
      f,
      undefined,
      25,
    );
    expect(seen).toEqual([`pay_01JAB${'Z'.repeat(21)}`]);
    expect(page).toEqual({ items: [{ id: 'pay_01JABX' }], nextCursor: null });
  });
});
