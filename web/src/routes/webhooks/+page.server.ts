import type { Actions, PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';
import { defaultSecretActions, endpointActions } from '$lib/server/endpoint-actions';

export const load: PageServerLoad = async ({ locals, url }) => {
  try {
    // Set by the delete action's redirect from the endpoint's page.
    return { endpoints: await locals.api.webhooks.listEndpoints.query(), deleted: url.searchParams.get('deleted') };
  } catch (err) {
    apiFailure(err);
  }
};

export const actions: Actions = {
  create: endpointActions.create,
  toggle: endpointActions.toggle,
  rotate: endpointActions.rotate,
  reveal: endpointActions.reveal,
  ...defaultSecretActions,
  test: endpointActions.test,
};
