import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { TEMPORAL_NAMESPACE, TEMPORAL_UI, apiFailure, apiMessage } from '$lib/server/api';

export const load: PageServerLoad = async ({ locals, params }) => {
  try {
    const [payment, events, messages] = await Promise.all([
      locals.api.payments.get.query({ id: params.id }),
      locals.api.payments.events.query({ id: params.id }),
      locals.api.webhooks.listMessages.query({ paymentId: params.id }),
    ]);
    const attempts = await Promise.all(messages.map((m) => locals.api.webhooks.listAttempts.query({ id: m.id })));
    return {
      payment,
      events,
      messages: messages.map((m, i) => ({ ...m, attempts: attempts[i]! })),
      temporalLink: `${TEMPORAL_UI}/namespaces/${encodeURIComponent(TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(payment.id)}`,
    };
  } catch (err) {
    apiFailure(err);
  }
};

const act = async (run: () => Promise<unknown>) => {
  try {
    await run();
    return { ok: true };
  } catch (err) {
    return fail(409, { error: apiMessage(err) });
  }
};

export const actions: Actions = {
  cancel: ({ locals, params }) => act(() => locals.api.payments.cancel.mutate({ id: params.id, reason: 'canceled from the dashboard' })),
  processNow: ({ locals, params }) => act(() => locals.api.payments.processNow.mutate({ id: params.id })),
  redeliver: async ({ locals, request }) => {
    const id = String((await request.formData()).get('messageId') ?? '');
    return act(() => locals.api.webhooks.redeliver.mutate({ id }));
  },
};
