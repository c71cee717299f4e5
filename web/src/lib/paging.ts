/**
 * Paging both ways over an API that only pages forward (newest first, `cursor` = last id seen): the
 * URL carries the cursors of the pages before this one in `prev` (`-` for the first page), so
 * "Newer" goes back exactly and the position is their count.
 */
export interface Position {
  page: number;
  cursor?: string;
  prev: string[];
}

export function positionFrom(params: URLSearchParams): Position {
  const cursor = params.get('cursor') || undefined;
  const prev = cursor ? (params.get('prev') ?? '-').split(',').filter(Boolean) : [];
  return { page: prev.length + 1, cursor, prev };
}

function withPage(params: URLSearchParams, cursor: string | undefined, prev: string[]): string {
  const next = new URLSearchParams(params);
  next.delete('cursor');
  next.delete('prev');
  if (cursor) {
    next.set('cursor', cursor);
    next.set('prev', prev.join(','));
  }
  const query = next.toString();
  return query ? `?${query}` : '?';
}

export function olderHref(params: URLSearchParams, position: Position, nextCursor: string): string {
  return withPage(params, nextCursor, [...position.prev, position.cursor ?? '-']);
}

export function newerHref(params: URLSearchParams, position: Position): string | undefined {
  if (position.page === 1) return undefined;
  const prev = position.prev.slice(0, -1);
  const cursor = position.prev.at(-1);
  return withPage(params, cursor === '-' ? undefined : cursor, prev);
}
