import type { RequestHandler } from './$types';
import { apiFailure } from '$lib/server/api';
import { filtersFrom } from '$lib/server/payment-filters';
import { listViewFrom } from '$lib/paging';
import { csvCell } from '$lib/csv';

const COLUMNS = [
  'id',
  'reference',
  'status',
  'amount',
  'currency',
  'description',
  'createdAt',
  'scheduledAt',
  'completedAt',
  'failureReason',
] as const;

/** The whole filtered set in the list's order, page after page, not just the page on screen. */
export const GET: RequestHandler = async ({ locals, url }) => {
  const { form: _form, ...filters } = filtersFrom(url);
  const { sort, dir } = listViewFrom(url.searchParams);
  const lines = [COLUMNS.join(',')];
  try {
    let cursor: string | undefined;
    do {
      const page = await locals.api.payments.list.query({ ...filters, sort, direction: dir, cursor, limit: 100 });
      for (const p of page.items) lines.push(COLUMNS.map((c) => csvCell(p[c])).join(','));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  } catch (err) {
    apiFailure(err);
  }
  return new Response(`${lines.join('\r\n')}\r\n`, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="payments.csv"' },
  });
};
