/**
 * The list's order and place, kept in the URL: `sort` and `dir` (no `sort` = the API's default,
 * newest first), the API's own cursors (`cursor` for the page after, `before` for the page
 * before) and `page`, the position the links carried here, so "payments 26–50 of N" needs no count
 * of the rows before.
 */
export const LIST_SORTS = ['createdAt', 'amount', 'status', 'scheduledAt'] as const;
export type ListSort = (typeof LIST_SORTS)[number];
export type Direction = 'asc' | 'desc';

export interface ListView {
  sort?: ListSort;
  dir: Direction;
  cursor?: string;
  before?: string;
  page: number;
}

const isSort = (value: string | null): value is ListSort => (LIST_SORTS as readonly (string | null)[]).includes(value);

export function listViewFrom(params: URLSearchParams): ListView {
  const sort = params.get('sort');
  const before = params.get('before') || undefined;
  const cursor = before ? undefined : params.get('cursor') || undefined;
  const page = Math.max(1, Math.floor(Number(params.get('page')) || 1));
  return {
    sort: isSort(sort) ? sort : undefined,
    dir: params.get('dir') === 'asc' ? 'asc' : 'desc',
    cursor,
    before,
    // A shared link with a cursor but no page is at least page 2.
    page: cursor || before ? Math.max(2, page) : 1,
  };
}

function withPlace(params: URLSearchParams, place: { cursor?: string; before?: string; page?: number }): string {
  const next = new URLSearchParams(params);
  for (const name of ['cursor', 'before', 'page']) next.delete(name);
  if (place.cursor) next.set('cursor', place.cursor);
  if (place.before) next.set('before', place.before);
  if (place.page && place.page > 1) next.set('page', String(place.page));
  const query = next.toString();
  return query ? `?${query}` : '?';
}

export function nextHref(params: URLSearchParams, view: ListView, nextCursor: string): string {
  return withPlace(params, { cursor: nextCursor, page: view.page + 1 });
}

/** Page 2 goes back to the plain first page, so "back to the start" is exactly the start. */
export function prevHref(params: URLSearchParams, view: ListView, prevCursor: string | null): string | undefined {
  if (view.page <= 1 || !prevCursor) return undefined;
  return view.page === 2 ? withPlace(params, {}) : withPlace(params, { before: prevCursor, page: view.page - 1 });
}

/** The order the list is in for a column: the default list is newest first, i.e. by creation, descending. */
export function ariaSort(view: ListView, column: ListSort): 'ascending' | 'descending' | 'none' {
  const current = view.sort ?? 'createdAt';
  if (current !== column) return 'none';
  return view.dir === 'asc' ? 'ascending' : 'descending';
}

/** A column header's link: the other direction for the current column, else that column from its natural end. */
export function sortHref(params: URLSearchParams, view: ListView, column: ListSort): string {
  const next = new URLSearchParams(params);
  for (const name of ['cursor', 'before', 'page', 'sort', 'dir']) next.delete(name);
  const state = ariaSort(view, column);
  const dir: Direction = state === 'descending' ? 'asc' : state === 'ascending' ? 'desc' : column === 'status' ? 'asc' : 'desc';
  // Newest first is the default list: its URL stays bare.
  if (!(column === 'createdAt' && dir === 'desc')) {
    next.set('sort', column);
    next.set('dir', dir);
  }
  const query = next.toString();
  return query ? `?${query}` : '?';
}

const ORDER_TEXT: Record<ListSort, Record<Direction, string>> = {
  createdAt: { desc: 'newest first', asc: 'oldest first' },
  amount: { desc: 'largest amount first', asc: 'smallest amount first' },
  status: { asc: 'by status, A–Z', desc: 'by status, Z–A' },
  scheduledAt: { asc: 'soonest scheduled first', desc: 'latest scheduled first' },
};

export const orderText = (view: ListView) => ORDER_TEXT[view.sort ?? 'createdAt'][view.dir];
