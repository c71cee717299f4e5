import type { CreateConnectorAccountInput } from '../../../../common/connector-account-input.js';

/** A form value this page refuses before asking the API, named as the form names it. */
export class ConnectorFormProblem extends Error {}

const text = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

function wholeNumber(form: FormData, name: string, label: string): number | undefined {
  const value = text(form, name);
  if (!value) return undefined;
  if (!/^\d+$/.test(value))
    throw new ConnectorFormProblem(`${label}: must be a whole number of minor units (cents), such as 1500 for 15.00`);
  return Number(value);
}

/**
 * The add form as the API's input. The API checks every rule (and names the field); this only turns
 * text into numbers and lists. The secret key goes on only when one was typed.
 */
export function connectorFromForm(form: FormData): CreateConnectorAccountInput {
  const currencies = text(form, 'currencies')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((c) => c.toUpperCase());
  const paymentMethodTypes = form.getAll('paymentMethodTypes').map(String);
  const secretKey = text(form, 'secretKey');
  return {
    kind: text(form, 'kind') as CreateConnectorAccountInput['kind'],
    label: text(form, 'label'),
    ...(secretKey ? { credentials: { secretKey } } : {}),
    rules: {
      currencies: currencies.length ? currencies : null,
      minAmount: wholeNumber(form, 'minAmount', 'Minimum amount') ?? null,
      maxAmount: wholeNumber(form, 'maxAmount', 'Maximum amount') ?? null,
      paymentMethodTypes: paymentMethodTypes.length ? (paymentMethodTypes as Array<'card' | 'bank_account'>) : null,
    },
  };
}
