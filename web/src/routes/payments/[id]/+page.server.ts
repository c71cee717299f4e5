import { error, fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad, RequestEvent } from './$types';
import { TEMPORAL_NAMESPACE, TEMPORAL_UI, apiFailure, apiMessage } from '$lib/server/api';
import { once } from '$lib/server/once';
import { parsePaymentSearch } from '$lib/payment-search';
import { amendFormValues } from '$lib/amend-form';
import { amendFromForm } from '$lib/server/amend-action';

export const load: PageServerLoad = async ({ locals, params }) => {
  // Not an id at all is a page that does not exist, not a validation error; a lower-case id is the same payment.
  const id = parsePaymentSearch(params.id);
  if (id?.kind !== 'id') error(404, `There is no payment ${params.id}. Payment ids look like pay_01J… (find one on the Payments page).`);
  if (id.search !== params.id) redirect(308, `/payments/${id.search}`);
  try {
    const [payment, events, messages] = await Promise.all([
      locals.api.payments.get.query({ id: params.id }),
      locals.api.payments.events.query({ id: params.id }),
      locals.api.webhooks.listMessages.query({ paymentId: params.id }),
    ]);
    const attempts = await Promise.all(messages.map((m) => locals.api.webhooks.listAttempts.query({ id: m.id })));
    return {
      payment,
      amendValues: amendFormValues(payment),
      events,
      messages: messages.map((m, i) => ({ ...m, attempts: attempts[i]! })),
      temporalLink: `${TEMPORAL_UI}/namespaces/${encodeURIComponent(TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(payment.id)}`,
    };
  } catch (err) {
    apiFailure(err);
  }
};

/** Runs an action once per form key and answers its outcome for the page to show. */
const act = async (event: RequestEvent, action: string, run: (form: FormData) => Promise<unknown>) => {
  const form = await event.request.formData();
  try {
    await once(
      { apiKey: event.locals.apiKey, action: `${action}:${event.params.id}`, formKey: String(form.get('formKey') ?? '') || undefined },
      () => run(form),
    );
    return { ok: true };
  } catch (err) {
    return fail(409, { error: apiMessage(err) });
  }
};

export const actions: Actions = {
  cancel: (event) =>
    act(event, 'cancel', () => event.locals.api.payments.cancel.mutate({ id: event.params.id, reason: 'canceled from the dashboard' })),
  processNow: (event) => act(event, 'processNow', () => event.locals.api.payments.processNow.mutate({ id: event.params.id })),
  amend: async (event) => amendFromForm(event.locals.api, event.params.id, await event.request.formData()),
  redeliver: (event) =>
    act(event, 'redeliver', (form) => event.locals.api.webhooks.redeliver.mutate({ id: String(form.get('messageId') ?? '') })),
};
