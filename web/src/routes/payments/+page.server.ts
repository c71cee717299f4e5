import type { PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';
import { filtersFrom, isFiltered } from '$lib/server/payment-filters';
import { listViewFrom } from '$lib/paging';

const PAGE_SIZE = 25;

export const load: PageServerLoad = async ({ locals, url }) => {
  const { form, ...filters } = filtersFrom(url);
  const view = listViewFrom(url.searchParams);
  try {
    const page = await locals.api.payments.list.query({
      ...filters,
      sort: view.sort,
      direction: view.dir,
      cursor: view.cursor,
      before: view.before,
      limit: PAGE_SIZE,
    });
    return { ...page, form, filtered: isFiltered(filters), pageSize: PAGE_SIZE, view, query: url.searchParams.toString() };
  } catch (err) {
    apiFailure(err);
  }
};
