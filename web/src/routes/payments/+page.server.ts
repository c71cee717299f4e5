import type { PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';
import { filtersFrom } from '$lib/server/payment-filters';

export const load: PageServerLoad = async ({ locals, url }) => {
  const { form, ...filters } = filtersFrom(url);
  try {
    const page = await locals.api.payments.list.query({ ...filters, cursor: url.searchParams.get('cursor') || undefined, limit: 25 });
    return { ...page, form, query: url.searchParams.toString() };
  } catch (err) {
    apiFailure(err);
  }
};
