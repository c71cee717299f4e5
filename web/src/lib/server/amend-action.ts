import { fail } from '@sveltejs/kit';
import { TRPCClientError } from '@trpc/client';
import { amendmentFrom } from '$lib/amend-form';
import { apiMessage, type Api } from './api';

/** The fields the amend form shows an error beside; any other error goes above its button. */
const AMEND_FIELDS = new Set(['amount', 'currency', 'delaySeconds', 'webhookUrl', 'description', 'metadata']);

type Payment = Awaited<ReturnType<Api['payments']['get']['query']>>;

/**
 * The amend form action: reads the form, sends only what differs from the payment as it is, with
 * the form key as Idempotency-Key (a double submit is one amendment). An empty webhook URL or
 * description removes it.
 */
export async function amendFromForm(api: Api, id: string, form: FormData) {
  const values = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)]));
  const fail400 = (errors: Record<string, string>) => fail(400, { amend: { values, errors } });
  let current: Payment;
  try {
    current = await api.payments.get.query({ id });
  } catch (err) {
    return fail400({ form: apiMessage(err) });
  }
  const { amendment, errors } = amendmentFrom(values, current);
  if (Object.keys(errors).length) return fail400(errors);
  if (Object.keys(amendment).length === 0) return fail400({ form: 'Nothing changed: edit a field first.' });
  try {
    const formKey = values.formKey ?? '';
    await api.payments.amend.mutate({
      id,
      ...amendment,
      ...(/^[0-9a-f-]{36}$/.test(formKey) ? { idempotencyKey: `dashboard-amend-${formKey}` } : {}),
    });
  } catch (err) {
    const fieldErrors =
      err instanceof TRPCClientError ? (err.data as { fieldErrors?: Record<string, string[]> } | undefined)?.fieldErrors : undefined;
    const byField = Object.fromEntries(Object.entries(fieldErrors ?? {}).map(([k, v]) => [k, v.join('; ')]));
    const unshown = Object.keys(byField).some((k) => !AMEND_FIELDS.has(k.split('.')[0]!));
    return fail(409, {
      amend: { values, errors: { ...byField, ...(Object.keys(byField).length === 0 || unshown ? { form: apiMessage(err) } : {}) } },
    });
  }
  return { amended: true };
}
