import type { PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';

export const load: PageServerLoad = async ({ locals }) => {
  try {
    const [stats, perMinute, notices, endpoints] = await Promise.all([
      locals.api.payments.stats.query(),
      locals.api.payments.perMinute.query(),
      locals.api.webhooks.notices.query({ limit: 10 }),
      locals.api.webhooks.listEndpoints.query(),
    ]);
    return { stats, perMinute, notices, disabledEndpoints: endpoints.filter((e) => !e.enabled) };
  } catch (err) {
    apiFailure(err);
  }
};
