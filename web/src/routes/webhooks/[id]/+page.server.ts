import { error } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';
import { REPLAY_PERIODS, endpointActions } from '$lib/server/endpoint-actions';

export const load: PageServerLoad = async ({ locals, params }) => {
  // The API has no "get one endpoint" call: the list is short (a merchant's own endpoints).
  const [endpoints, messages] = await Promise.all([
    locals.api.webhooks.listEndpoints.query(),
    /^we_[0-9A-Z]{26}$/.test(params.id)
      ? locals.api.webhooks.listMessages.query({ endpointId: params.id, limit: 50 })
      : Promise.resolve([]),
  ]).catch(apiFailure);
  const endpoint = endpoints.find((e) => e.id === params.id);
  if (!endpoint) error(404, `There is no webhook endpoint ${params.id}. Its id is on the Webhooks page.`);
  return { endpoint, messages, replayPeriods: REPLAY_PERIODS };
};

export const actions: Actions = endpointActions;
