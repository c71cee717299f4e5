import { describe, expect, it } from 'vitest';
import { newerHref, olderHref, positionFrom } from './paging.js';

const at = (href: string) => new URLSearchParams(href.replace(/^\?/, ''));

describe('paging both ways', () => {
  it('goes three pages older and back to the first, keeping the filters', () => {
    const first = at('status=pending');
    const p1 = positionFrom(first);
    expect(p1).toEqual({ page: 1, cursor: undefined, prev: [] });
    expect(newerHref(first, p1)).toBeUndefined();

    const second = at(olderHref(first, p1, 'pay_B'));
    const p2 = positionFrom(second);
    expect(p2.page).toBe(2);
    const third = at(olderHref(second, p2, 'pay_C'));
    const p3 = positionFrom(third);
    expect(p3).toEqual({ page: 3, cursor: 'pay_C', prev: ['-', 'pay_B'] });

    const back2 = at(newerHref(third, p3)!);
    expect(positionFrom(back2)).toEqual({ page: 2, cursor: 'pay_B', prev: ['-'] });
    const back1 = at(newerHref(back2, positionFrom(back2))!);
    expect(positionFrom(back1).page).toBe(1);
    expect(back1.get('status')).toBe('pending');
    expect(back1.has('cursor')).toBe(false);
  });

  it('a shared link with a cursor but no trail counts as page 2 (negative control: not page 1)', () => {
    expect(positionFrom(at('cursor=pay_X')).page).toBe(2);
  });
});
