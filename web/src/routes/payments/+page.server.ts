import type { PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';
import { filtersFrom, listPage } from '$lib/server/payment-filters';
import { positionFrom } from '$lib/paging';

const PAGE_SIZE = 25;

export const load: PageServerLoad = async ({ locals, url }) => {
  const { form, ...filters } = filtersFrom(url);
  const position = positionFrom(url.searchParams);
  const filtered = Boolean(
    filters.search || filters.idPrefix || filters.createdFrom || filters.createdTo || url.searchParams.get('status'),
  );
  try {
    const [page, stats] = await Promise.all([
      listPage((input) => locals.api.payments.list.query(input), filters, position.cursor, PAGE_SIZE),
      // The API counts by status only, so a total is known for no filter or a status alone.
      filtered && !(filters.status && !filters.search && !filters.idPrefix && !filters.createdFrom && !filters.createdTo)
        ? undefined
        : locals.api.payments.stats.query(),
    ]);
    const total = stats ? (filters.status ? stats.byStatus[filters.status] : stats.total) : undefined;
    return { ...page, form, filtered, total, pageSize: PAGE_SIZE, position, query: url.searchParams.toString() };
  } catch (err) {
    apiFailure(err);
  }
};
