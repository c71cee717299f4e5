import { fail, redirect } from '@sveltejs/kit';
import { TRPCClientError } from '@trpc/client';
import { randomUUID } from 'node:crypto';
import type { Actions, PageServerLoad } from './$types';
import { toMinorUnits } from '$lib/format';
import { apiMessage } from '$lib/server/api';

/** The fields this form shows an error beside. */
const FORM_FIELDS = new Set(['amount', 'currency', 'delaySeconds', 'captureMethod', 'webhookUrl', 'description', 'data']);

/** The form's idempotency key: a double click or a resent form creates one payment. */
export const load: PageServerLoad = () => ({ formKey: randomUUID() });

export const actions: Actions = {
  default: async ({ request, locals }) => {
    const form = await request.formData();
    const values = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)]));
    const errors: Record<string, string> = {};
    const currency = values.currency?.trim().toUpperCase() ?? '';
    let amount: number | undefined;
    try {
      amount = toMinorUnits(values.amount ?? '', currency);
    } catch {
      errors.currency = 'Not an ISO-4217 currency code';
    }
    if (amount === undefined && !errors.currency) errors.amount = 'Enter a positive amount, e.g. 12.50';
    let data: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(values.data?.trim() || '{}');
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      data = parsed;
    } catch {
      errors.data = 'Data must be a JSON object, e.g. {"order": "A-17"}';
    }
    const delaySeconds = Number(values.delaySeconds || 0);
    // A form sent back with errors gets a new key: what is sent next is another request.
    const retry = { ...values, formKey: randomUUID() };
    if (Object.keys(errors).length) return fail(400, { values: retry, errors });
    let id: string;
    try {
      const created = await locals.api.payments.create.mutate({
        amount: amount!,
        currency,
        delaySeconds,
        ...(values.captureMethod === 'manual' ? { captureMethod: 'manual' as const } : {}),
        data,
        webhookUrl: values.webhookUrl?.trim() || undefined,
        description: values.description?.trim() || undefined,
        idempotencyKey: /^[0-9a-f-]{36}$/.test(values.formKey ?? '') ? `dashboard-${values.formKey}` : undefined,
      });
      id = created.id;
    } catch (err) {
      const fieldErrors =
        err instanceof TRPCClientError ? (err.data as { fieldErrors?: Record<string, string[]> })?.fieldErrors : undefined;
      const byField = Object.fromEntries(Object.entries(fieldErrors ?? {}).map(([k, v]) => [k, v.join('; ')]));
      // Each error once: beside its field when the form has that field, else above the button.
      const unshown = Object.keys(byField).filter((k) => !FORM_FIELDS.has(k));
      return fail(400, {
        values: retry,
        errors: { ...byField, ...(Object.keys(byField).length === 0 || unshown.length ? { form: apiMessage(err) } : {}) },
      });
    }
    redirect(303, `/payments/${id}`);
  },
};
