import { error, fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad, RequestEvent } from './$types';
import { TEMPORAL_NAMESPACE, TEMPORAL_UI, apiFailure, apiMessage } from '$lib/server/api';
import { once } from '$lib/server/once';
import { parsePaymentSearch } from '$lib/payment-search';
import { toMinorUnits } from '$lib/format';
import { amendFormValues } from '$lib/amend-form';
import { amendFromForm } from '$lib/server/amend-action';

export const load: PageServerLoad = async ({ locals, params }) => {
  // Not an id at all is a page that does not exist, not a validation error; a lower-case id is the same payment.
  const id = parsePaymentSearch(params.id);
  if (id?.kind !== 'id') error(404, `There is no payment ${params.id}. Payment ids look like pay_01J… (find one on the Payments page).`);
  if (id.search !== params.id) redirect(308, `/payments/${id.search}`);
  try {
    const [payment, events, messages, refunds, connectorAttempts] = await Promise.all([
      locals.api.payments.get.query({ id: params.id }),
      locals.api.payments.events.query({ id: params.id }),
      locals.api.webhooks.listMessages.query({ paymentId: params.id }),
      locals.api.payments.refunds.query({ id: params.id }),
      locals.api.payments.attempts.query({ id: params.id }),
    ]);
    const attempts = await Promise.all(messages.map((m) => locals.api.webhooks.listAttempts.query({ id: m.id })));
    return {
      payment,
      amendValues: amendFormValues(payment),
      events,
      messages: messages.map((m, i) => ({ ...m, attempts: attempts[i]! })),
      refunds,
      connectorAttempts,
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
  capture: async (event) => {
    const form = await event.request.formData();
    try {
      const payment = await event.locals.api.payments.get.query({ id: event.params.id });
      // Typed in major units, as the merchant reads the amount ("12.50").
      const amount = toMinorUnits(String(form.get('amount') ?? ''), payment.currency);
      if (amount === undefined || amount === 0) return fail(400, { error: 'Enter an amount such as 12.50, at most the authorized amount' });
      const formKey = String(form.get('formKey') ?? '') || undefined;
      await once({ apiKey: event.locals.apiKey, action: `capture:${event.params.id}`, formKey }, () =>
        event.locals.api.payments.capture.mutate({ id: event.params.id, amount }),
      );
      return { ok: true };
    } catch (err) {
      return fail(409, { error: apiMessage(err) });
    }
  },
  // Voiding an authorization awaiting capture is the API's cancel.
  void: (event) =>
    act(event, 'void', () =>
      event.locals.api.payments.cancel.mutate({ id: event.params.id, reason: 'authorization voided from the dashboard' }),
    ),
  amend: async (event) => amendFromForm(event.locals.api, event.params.id, await event.request.formData()),
  redeliver: (event) =>
    act(event, 'redeliver', (form) => event.locals.api.webhooks.redeliver.mutate({ id: String(form.get('messageId') ?? '') })),
  /** The form key is the refund's Idempotency-Key: the API itself makes a resent form one refund. */
  refund: async (event) => {
    const form = await event.request.formData();
    const text = String(form.get('amount') ?? '').trim();
    const amount = text ? toMinorUnits(text, String(form.get('currency') ?? 'USD')) : undefined;
    if (text && !amount) return fail(400, { refundError: `Amount: "${text}" is not an amount such as 12.50` });
    const reason = String(form.get('reason') ?? '').trim() || undefined;
    const formKey = String(form.get('formKey') ?? '');
    try {
      await event.locals.api.payments.refund.mutate({
        id: event.params.id,
        ...(amount ? { amount } : {}),
        ...(reason ? { reason } : {}),
        ...(formKey ? { idempotencyKey: `dashboard:${formKey}` } : {}),
      });
      return { refunded: true };
    } catch (err) {
      return fail(409, { refundError: apiMessage(err) });
    }
  },
};
