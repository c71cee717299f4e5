import { redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { KEY_COOKIE } from '$lib/server/api';

export const actions: Actions = {
  default: ({ cookies }) => {
    cookies.delete(KEY_COOKIE, { path: '/' });
    redirect(303, '/login');
  },
};
