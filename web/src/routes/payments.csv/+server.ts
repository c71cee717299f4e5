import type { RequestHandler } from './$types';
import { apiFailure } from '$lib/server/api';
import { filtersFrom, listPage } from '$lib/server/payment-filters';
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

/** The whole filtered set, page after page, not just the page on screen. */
export const GET: RequestHandler = async ({ locals, url }) => {
  const { form: _form, ...filters } = filtersFrom(url);
  const lines = [COLUMNS.join(',')];
  try {
    let cursor: string | undefined;
    do {
      const page = await listPage((input) => locals.api.payments.list.query(input), filters, cursor, 100);
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
