/**
 * What an amendment of a pending payment may change, and the workflow's own check of it. Pure and
 * dependency-free (the workflow bundle imports it); the API checks the same fields with the zod
 * rules of create first, so a refusal here means a caller bypassed the API.
 */
import { paymentInputProblem } from './payment-rules.js';

export const AMENDABLE_FIELDS = ['amount', 'currency', 'delaySeconds', 'webhookUrl', 'description', 'metadata'] as const;
export type AmendableField = (typeof AMENDABLE_FIELDS)[number];

/** A field left out keeps its value; `null` removes an optional one (webhook URL, description). */
export interface PaymentAmendment {
  amount?: number;
  currency?: string;
  /** Counted from the payment's creation, like the delay it replaces: one already past processes at once. */
  delaySeconds?: number;
  webhookUrl?: string | null;
  description?: string | null;
  metadata?: Record<string, string>;
}

const MAX_METADATA_KEYS = 50;

/** The first thing wrong with an amendment (naming the field), or null. */
export function amendmentProblem(amendment: unknown): string | null {
  if (!amendment || typeof amendment !== 'object' || Array.isArray(amendment)) return 'the amendment must be an object';
  const given = Object.keys(amendment);
  const unknown = given.find((key) => !(AMENDABLE_FIELDS as readonly string[]).includes(key));
  if (unknown !== undefined) return `${unknown}: cannot be amended; only ${AMENDABLE_FIELDS.join(', ')} can`;
  const a = amendment as Record<string, unknown>;
  const present = given.filter((key) => a[key] !== undefined);
  if (present.length === 0) return `the amendment is empty: give at least one of ${AMENDABLE_FIELDS.join(', ')}`;
  if (a.amount !== undefined && typeof a.amount !== 'number') return 'amount must be a number';
  if (a.delaySeconds !== undefined && typeof a.delaySeconds !== 'number') return 'delaySeconds must be a number';
  if (a.currency !== undefined && typeof a.currency !== 'string') return 'currency must be a string';
  // The payment's own guard, on the amended fields only (the others keep values that passed it).
  const basic = paymentInputProblem({
    amount: typeof a.amount === 'number' ? a.amount : 1,
    currency: typeof a.currency === 'string' ? a.currency : 'USD',
    delaySeconds: typeof a.delaySeconds === 'number' ? a.delaySeconds : 0,
  });
  if (basic) return basic;
  const url = a.webhookUrl;
  if (url !== undefined && url !== null && (typeof url !== 'string' || url.length > 2048 || !/^https?:\/\/[^/?#@]+/i.test(url)))
    return 'webhookUrl must be an http(s) URL of at most 2048 characters, or null';
  const description = a.description;
  if (description !== undefined && description !== null && (typeof description !== 'string' || description.length > 500))
    return 'description must be text of at most 500 characters, or null';
  const metadata = a.metadata;
  if (metadata !== undefined) {
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return 'metadata must be an object of strings';
    const entries = Object.entries(metadata);
    if (entries.length > MAX_METADATA_KEYS) return `metadata must have at most ${MAX_METADATA_KEYS} keys`;
    if (entries.some(([key, value]) => !/^[^[\]]{1,40}$/.test(key) || typeof value !== 'string' || value.length > 500))
      return 'metadata keys must be 1 to 40 characters without square brackets, values text of at most 500 characters';
  }
  return null;
}
