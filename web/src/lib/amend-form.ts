import type { RouterInputs, RouterOutputs } from '../../../client/index.js';
import { toMinorUnits } from './format.js';

/** The amend form's rules, apart from the server so they can be tested alone. */

/** What of a payment the form shows and compares. */
type Payment = Pick<RouterOutputs['payments']['get'], 'amount' | 'currency' | 'delaySeconds' | 'webhookUrl' | 'description' | 'metadata'>;
export type Amendment = Omit<RouterInputs['payments']['amend'], 'id'>;

/** What the amend form shows for a payment: its current values as a person types them. */
export function amendFormValues(p: Payment): Record<string, string> {
  return {
    amount: majorUnits(p.amount, p.currency),
    currency: p.currency,
    delaySeconds: String(p.delaySeconds),
    webhookUrl: p.webhookUrl ?? '',
    description: p.description ?? '',
    metadata: JSON.stringify(p.metadata, null, 2),
  };
}

/** The changed fields of the form, or what is wrong with them. */
export function amendmentFrom(values: Record<string, string>, current: Payment): { amendment: Amendment; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const amendment: Amendment = {};
  const currency = (values.currency ?? '').trim().toUpperCase();
  if (currency !== current.currency) amendment.currency = currency;
  let amount: number | undefined;
  try {
    amount = toMinorUnits(values.amount ?? '', currency);
  } catch {
    errors.currency = 'Not an ISO-4217 currency code';
  }
  if (amount === undefined && !errors.currency) errors.amount = 'Enter a positive amount, e.g. 12.50';
  else if (amount !== undefined && amount !== current.amount) amendment.amount = amount;
  const delay = (values.delaySeconds ?? '').trim();
  if (!/^\d+$/.test(delay)) errors.delaySeconds = 'Enter whole seconds, counted from creation';
  else if (Number(delay) !== current.delaySeconds) amendment.delaySeconds = Number(delay);
  const webhookUrl = (values.webhookUrl ?? '').trim() || null;
  if (webhookUrl !== current.webhookUrl) amendment.webhookUrl = webhookUrl;
  const description = (values.description ?? '').trim() || null;
  if (description !== current.description) amendment.description = description;
  try {
    const metadata: unknown = JSON.parse((values.metadata ?? '').trim() || '{}');
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw new Error('not an object');
    if (JSON.stringify(sorted(metadata as Record<string, string>)) !== JSON.stringify(sorted(current.metadata)))
      amendment.metadata = metadata as Record<string, string>;
  } catch {
    errors.metadata = 'Metadata must be a JSON object of strings, e.g. {"orderId": "A-17"}';
  }
  return { amendment, errors };
}

const sorted = (o: Record<string, string>) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Minor units as the major-unit text `toMinorUnits` reads back (1234 EUR → "12.34"), exact for any amount. */
export function majorUnits(amount: number, currency: string): string {
  const digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  if (digits === 0) return String(amount);
  const text = String(amount).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
