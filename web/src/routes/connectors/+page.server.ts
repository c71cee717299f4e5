import { fail, type RequestEvent } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { describeRules } from '../../../../common/connector-account-input.js';
import { apiFailure, apiMessage } from '$lib/server/api';
import { ConnectorFormProblem, connectorFromForm } from '$lib/server/connector-form';
import { once } from '$lib/server/once';

export const load: PageServerLoad = async ({ locals }) => {
  try {
    const accounts = await locals.api.connectors.list.query();
    return { accounts: accounts.map((a) => ({ ...a, rulesText: describeRules(a.rules) })) };
  } catch (err) {
    apiFailure(err);
  }
};

/** Runs an action once per form key; a refusal comes back as the form's error, never with what was typed (the secret). */
async function act<T extends Record<string, unknown>>(event: RequestEvent, action: string, run: (form: FormData) => Promise<T>) {
  const form = await event.request.formData();
  try {
    return await once({ apiKey: event.locals.apiKey, action, formKey: String(form.get('formKey') ?? '') || undefined }, () => run(form));
  } catch (err) {
    return fail(400, { error: err instanceof ConnectorFormProblem ? err.message : apiMessage(err) });
  }
}

export const actions: Actions = {
  create: (event) =>
    act(event, 'create-connector', async (form) => {
      const created = await event.locals.api.connectors.create.mutate(connectorFromForm(form));
      return { created: `${created.label} added at position ${created.position}.` };
    }),
  remove: (event) =>
    act(event, 'remove-connector', async (form) => {
      const removed = await event.locals.api.connectors.remove.mutate({ id: String(form.get('id')) });
      return { removed: `${removed.label} removed; payments it took keep naming it.` };
    }),
  move: (event) =>
    act(event, 'move-connector', async (form) => {
      const moved = await event.locals.api.connectors.update.mutate({ id: String(form.get('id')), position: Number(form.get('position')) });
      return { moved: `${moved.label} is now at position ${moved.position}.` };
    }),
};
