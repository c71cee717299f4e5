import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiFailure, apiMessage } from '$lib/server/api';
import { isSubscribable } from '$lib/webhook-events';

export const load: PageServerLoad = async ({ locals }) => {
  try {
    return { endpoints: await locals.api.webhooks.listEndpoints.query() };
  } catch (err) {
    apiFailure(err);
  }
};

export const actions: Actions = {
  create: async ({ locals, request }) => {
    const form = await request.formData();
    const eventTypes = form.getAll('eventTypes').map(String).filter(isSubscribable);
    try {
      const created = await locals.api.webhooks.createEndpoint.mutate({
        url: String(form.get('url') ?? '').trim(),
        eventTypes,
        description: String(form.get('description') ?? '').trim() || undefined,
      });
      return { secret: created.secret, endpointId: created.id };
    } catch (err) {
      return fail(400, { error: apiMessage(err) });
    }
  },
  toggle: async ({ locals, request }) => {
    const form = await request.formData();
    try {
      await locals.api.webhooks.updateEndpoint.mutate({ id: String(form.get('id')), enabled: form.get('enabled') === 'true' });
    } catch (err) {
      return fail(400, { error: apiMessage(err) });
    }
  },
  rotate: async ({ locals, request }) => {
    const id = String((await request.formData()).get('id'));
    try {
      const rotated = await locals.api.webhooks.rotateSecret.mutate({ id });
      return { secret: rotated.secret, endpointId: id };
    } catch (err) {
      return fail(400, { error: apiMessage(err) });
    }
  },
  test: async ({ locals, request }) => {
    const id = String((await request.formData()).get('id'));
    try {
      const { messageId } = await locals.api.webhooks.sendTest.mutate({ id });
      return { tested: messageId };
    } catch (err) {
      return fail(400, { error: apiMessage(err) });
    }
  },
};
