import { error } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';
import { REPLAY_PERIODS, endpointActions } from '$lib/server/endpoint-actions';

/** Messages whose attempts are shown (one call each, in parallel); older ones show their last error only. */
const MESSAGES_WITH_ATTEMPTS = 20;

export const load: PageServerLoad = async ({ locals, params }) => {
  if (!/^we_[0-9A-Z]{26}$/.test(params.id)) error(404, `There is no webhook endpoint ${params.id}. Its id is on the Webhooks page.`);
  const [endpoint, messages] = await Promise.all([
    locals.api.webhooks.getEndpoint.query({ id: params.id }),
    locals.api.webhooks.listMessages.query({ endpointId: params.id, limit: 50 }),
  ]).catch(apiFailure);
  const attempts = await Promise.all(
    messages.slice(0, MESSAGES_WITH_ATTEMPTS).map((m) => locals.api.webhooks.listAttempts.query({ id: m.id })),
  ).catch(apiFailure);
  return {
    endpoint,
    messages: messages.map((m, i) => ({ ...m, attempts: attempts[i] ?? null })),
    replayPeriods: REPLAY_PERIODS,
  };
};

export const actions: Actions = endpointActions;
