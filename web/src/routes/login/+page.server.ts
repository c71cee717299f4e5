import { fail, redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { KEY_COOKIE, apiMessage, createApi } from '$lib/server/api';

export const actions: Actions = {
  default: async ({ request, cookies, url, getClientAddress }) => {
    const key = String((await request.formData()).get('apiKey') ?? '').trim();
    if (!key) return fail(400, { error: 'Enter an API key (sk_…).' });
    try {
      // Failed sign-ins count against the browser's address, not this server's.
      await createApi(key, getClientAddress()).payments.stats.query();
    } catch (err) {
      return fail(401, { error: apiMessage(err) });
    }
    // httpOnly: the key is sent by the browser but never readable by page scripts.
    cookies.set(KEY_COOKIE, key, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: url.protocol === 'https:',
      maxAge: 60 * 60 * 12,
    });
    redirect(303, '/');
  },
};
