import type { Actions, PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';
import { endpointActions } from '$lib/server/endpoint-actions';

export const load: PageServerLoad = async ({ locals }) => {
  try {
    return { endpoints: await locals.api.webhooks.listEndpoints.query() };
  } catch (err) {
    apiFailure(err);
  }
};

export const actions: Actions = {
  create: endpointActions.create,
  toggle: endpointActions.toggle,
  rotate: endpointActions.rotate,
  test: endpointActions.test,
};
