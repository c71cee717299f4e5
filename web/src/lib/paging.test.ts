import { describe, expect, it } from 'vitest';
import { ariaSort, listViewFrom, nextHref, orderText, prevHref, sortHref } from './paging.js';

const at = (href: string) => new URLSearchParams(href.replace(/^\?/, ''));

describe('paging both ways', () => {
  it('goes two pages on and back to the first, keeping filters and sort', () => {
    const first = at('status=pending&sort=amount&dir=asc');
    const v1 = listViewFrom(first);
    expect(v1).toEqual({ sort: 'amount', dir: 'asc', cursor: undefined, before: undefined, page: 1 });
    expect(prevHref(first, v1, 'c0')).toBeUndefined();

    const second = at(nextHref(first, v1, 'c1'));
    const v2 = listViewFrom(second);
    expect(v2).toMatchObject({ cursor: 'c1', page: 2 });
    const third = at(nextHref(second, v2, 'c2'));
    const v3 = listViewFrom(third);
    expect(v3).toMatchObject({ cursor: 'c2', page: 3 });

    const back2 = at(prevHref(third, v3, 'p3')!);
    expect(listViewFrom(back2)).toMatchObject({ before: 'p3', cursor: undefined, page: 2 });
    const back1 = at(prevHref(back2, listViewFrom(back2), 'p2')!);
    expect(listViewFrom(back1).page).toBe(1);
    expect([...back1.keys()].sort()).toEqual(['dir', 'sort', 'status']);
  });

  it('a shared link with a cursor but no page counts as page 2 (negative control: not page 1)', () => {
    expect(listViewFrom(at('cursor=pay_X')).page).toBe(2);
    expect(listViewFrom(at('page=7')).page).toBe(1);
  });
});

describe('sortable columns', () => {
  it('the default list is newest first: Created is descending, a click makes it ascending', () => {
    const view = listViewFrom(at('q=x&cursor=c&page=3'));
    expect(ariaSort(view, 'createdAt')).toBe('descending');
    expect(ariaSort(view, 'amount')).toBe('none');
    expect(sortHref(at('q=x&cursor=c&page=3'), view, 'createdAt')).toBe('?q=x&sort=createdAt&dir=asc');
    expect(orderText(view)).toBe('newest first');
  });

  it('another column starts from its natural end and flips on the next click, back on page 1', () => {
    const params = at('status=failed&cursor=c&page=2');
    const byAmount = at(sortHref(params, listViewFrom(params), 'amount'));
    expect(byAmount.toString()).toBe('status=failed&sort=amount&dir=desc');
    expect(ariaSort(listViewFrom(byAmount), 'amount')).toBe('descending');
    expect(sortHref(byAmount, listViewFrom(byAmount), 'amount')).toBe('?status=failed&sort=amount&dir=asc');
    expect(sortHref(at(''), listViewFrom(at('')), 'status')).toBe('?sort=status&dir=asc');
    // From oldest first back to newest first: the bare default URL.
    const oldest = at('sort=createdAt&dir=asc');
    expect(sortHref(oldest, listViewFrom(oldest), 'createdAt')).toBe('?');
  });
});
