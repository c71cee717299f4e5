import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { apiMessage } from './api.js';
import { once } from './once.js';
import { isSubscribable } from '../webhook-events.js';

type Event = Pick<RequestEvent, 'locals' | 'request'>;

/** A form value this page refuses before asking the API. */
class FormProblem extends Error {}

/** How far back "replay failed" reaches, in hours: a choice of periods, so no time zone is guessed. */
export const REPLAY_PERIODS = [1, 24, 24 * 7, 24 * 30] as const;

/**
 * Runs an endpoint action once per form key; an API refusal comes back as the form's error. The
 * commands that take one also get the form key as their Idempotency-Key, so a form sent again after
 * this process restarted still acts once; the in-process guard keeps answering a duplicate that
 * arrives while the first is running (the API would refuse it as still running).
 */
async function act<T extends Record<string, unknown> | void>(event: Event, action: string, run: (form: FormData) => Promise<T>) {
  const form = await event.request.formData();
  try {
    return await once({ apiKey: event.locals.apiKey, action, formKey: String(form.get('formKey') ?? '') || undefined }, () => run(form));
  } catch (err) {
    return fail(400, { error: err instanceof FormProblem ? err.message : apiMessage(err) });
  }
}

/** The default secret (payments' own webhookUrl): shown after a confirmation, or rotated. */
export const defaultSecretActions = {
  revealDefault: (event: Event) =>
    act(event, 'reveal-default-secret', async () => {
      const shown = await event.locals.api.webhooks.defaultSecret.query();
      return { secret: shown.secret, endpointId: null, previousSecretExpiresAt: shown.previousSecretExpiresAt };
    }),
  rotateDefault: (event: Event) =>
    act(event, 'rotate-default-secret', async () => {
      const rotated = await event.locals.api.webhooks.rotateDefaultSecret.mutate();
      return { secret: rotated.secret, endpointId: null, rotated: true, previousSecretExpiresAt: rotated.previousSecretExpiresAt };
    }),
};

const formKeyOf = (form: FormData) => String(form.get('formKey') ?? '') || undefined;

/** The form actions on webhook endpoints, shared by the list and an endpoint's own page. */
export const endpointActions = {
  create: (event: Event) =>
    act(event, 'create-endpoint', async (form) => {
      const created = await event.locals.api.webhooks.createEndpoint.mutate({
        url: String(form.get('url') ?? '').trim(),
        eventTypes: form.getAll('eventTypes').map(String).filter(isSubscribable),
        description: String(form.get('description') ?? '').trim() || undefined,
        idempotencyKey: formKeyOf(form),
      });
      return { secret: created.secret, endpointId: created.id };
    }),
  toggle: (event: Event) =>
    act(event, 'toggle-endpoint', async (form) => {
      await event.locals.api.webhooks.updateEndpoint.mutate({ id: String(form.get('id')), enabled: form.get('enabled') === 'true' });
    }),
  rotate: (event: Event) =>
    act(event, 'rotate-secret', async (form) => {
      const id = String(form.get('id'));
      const rotated = await event.locals.api.webhooks.rotateSecret.mutate({ id, idempotencyKey: formKeyOf(form) });
      return { secret: rotated.secret, endpointId: id, rotated: true, previousSecretExpiresAt: rotated.previousSecretExpiresAt };
    }),
  reveal: (event: Event) =>
    act(event, 'reveal-secret', async (form) => {
      const id = String(form.get('id'));
      const shown = await event.locals.api.webhooks.endpointSecret.query({ id });
      return { secret: shown.secret, endpointId: id, previousSecretExpiresAt: shown.previousSecretExpiresAt };
    }),
  update: (event: Event) =>
    act(event, 'update-endpoint', async (form) => {
      await event.locals.api.webhooks.updateEndpoint.mutate({
        id: String(form.get('id')),
        url: String(form.get('url') ?? '').trim(),
        eventTypes: form.getAll('eventTypes').map(String).filter(isSubscribable),
        description: String(form.get('description') ?? '').trim(),
      });
      return { updated: true };
    }),
  delete: async (event: Event) => {
    const answer = await act(event, 'delete-endpoint', async (form) => {
      const { id } = await event.locals.api.webhooks.deleteEndpoint.mutate({ id: String(form.get('id')) });
      return { deleted: id };
    });
    // Its page is gone: back to the list, which says what was deleted.
    if (answer && 'deleted' in answer) redirect(303, `/webhooks?deleted=${encodeURIComponent(String(answer.deleted))}`);
    return answer;
  },
  test: (event: Event) =>
    act(event, 'send-test', async (form) => {
      const { messageId } = await event.locals.api.webhooks.sendTest.mutate({
        id: String(form.get('id')),
        idempotencyKey: formKeyOf(form),
      });
      return { tested: messageId };
    }),
  replay: (event: Event) =>
    act(event, 'replay-failed', async (form) => {
      const hours = Number(form.get('hours'));
      if (!(REPLAY_PERIODS as readonly number[]).includes(hours)) throw new FormProblem('Choose how far back to replay failed messages.');
      // No Idempotency-Key: `since` moves with the clock, so a resent form is another request to the API.
      const since = new Date(Date.now() - hours * 3_600_000).toISOString();
      const { replayed } = await event.locals.api.webhooks.replayFailed.mutate({ id: String(form.get('id')), since });
      return { replayed };
    }),
  redeliver: (event: Event) =>
    act(event, 'redeliver', async (form) => {
      const message = await event.locals.api.webhooks.redeliver.mutate({
        id: String(form.get('messageId') ?? ''),
        idempotencyKey: formKeyOf(form),
      });
      return { redelivered: message.id };
    }),
};
