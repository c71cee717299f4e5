import type { Handle } from '@sveltejs/kit';
import { KEY_COOKIE, createApi } from '$lib/server/api';

/** The API key lives only in an httpOnly cookie; every server load acts with it. */
export const handle: Handle = async ({ event, resolve }) => {
  const apiKey = event.cookies.get(KEY_COOKIE) || undefined;
  event.locals.apiKey = apiKey;
  event.locals.api = createApi(apiKey, event.getClientAddress());
  return resolve(event);
};
