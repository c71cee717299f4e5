import { z } from 'zod';
import { CONNECTOR_KINDS, PAYMENT_METHOD_TYPES } from './vocabulary.js';
import { currencyCode, paymentMethodType } from './payment.js';
import { MAX_AMOUNT } from './payment-rules.js';
import { freeText } from './text-rules.js';

/** What a merchant sends to add or change a connector account: one set of rules for the API, the CLI and the dashboard. */

/** Enough accounts for any real route; a bound so a list never grows without limit. */
export const MAX_CONNECTOR_ACCOUNTS = 50;

export const connectorAccountId = z.string().regex(/^ca_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a connector account id such as ca_01J…');
export const connectorKind = z.enum(CONNECTOR_KINDS);

export const STRIPE_SECRET_KEY_RULE = 'must be a Stripe secret or restricted key: sk_test_…, sk_live_…, rk_test_… or rk_live_…';
export const stripeSecretKey = z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,240}$/, STRIPE_SECRET_KEY_RULE);

export const connectorCredentials = z
  .object({ secretKey: stripeSecretKey.describe('Stored sealed; never returned, only its hint') })
  .strict()
  .describe('Required for stripe, refused for the simulator; write-only');

const amountBound = z.number().int().min(0).max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`);

/** Which payments the account takes; a rule left out or null takes any. */
export const connectorRules = z
  .object({
    currencies: z.array(currencyCode).min(1, 'must name at least one currency, or be null for any').max(200).nullable().optional(),
    minAmount: amountBound.nullable().optional().describe('In minor units, inclusive'),
    maxAmount: amountBound.nullable().optional().describe('In minor units, inclusive'),
    paymentMethodTypes: z
      .array(paymentMethodType)
      .min(1, 'must name at least one payment method type, or be null for any')
      .max(PAYMENT_METHOD_TYPES.length)
      .nullable()
      .optional(),
  })
  .strict();
export type ConnectorRules = z.output<typeof connectorRules>;

export const connectorPosition = z
  .number()
  .int()
  .min(1, 'must be at least 1 (the first route)')
  .max(MAX_CONNECTOR_ACCOUNTS, `must be at most ${MAX_CONNECTOR_ACCOUNTS}`)
  .describe('1 is tried first');

export const connectorLabel = freeText(80, 1);

/**
 * Fields that contradict each other (or the account), found after the schema, which cannot say them:
 * `field: rule`, answered as 422 so a request that only follows the document is not called malformed.
 */
export function connectorInputProblem(input: { kind: string; credentials?: unknown; rules?: ConnectorRules }): string | undefined {
  if (input.kind === 'stripe' && input.credentials === undefined) {
    return `credentials.secretKey: is required for a stripe account and ${STRIPE_SECRET_KEY_RULE}`;
  }
  if (input.kind !== 'stripe' && input.credentials !== undefined)
    return `credentials: must be left out: a ${input.kind} account takes no credentials`;
  const rules = input.rules;
  if (rules?.minAmount != null && rules.maxAmount != null && rules.minAmount > rules.maxAmount) {
    return `rules.maxAmount: must be at least rules.minAmount (${rules.minAmount}); such rules would match no payment`;
  }
  return undefined;
}

export const createConnectorAccountInput = z
  .object({
    kind: connectorKind,
    label: connectorLabel,
    credentials: connectorCredentials.optional(),
    rules: connectorRules.optional(),
    position: connectorPosition.optional().describe('1 is tried first; default or past the end: after the others'),
  })
  .strict();
export type CreateConnectorAccountInput = z.output<typeof createConnectorAccountInput>;

export const UPDATABLE_CONNECTOR_FIELDS = ['label', 'credentials', 'rules', 'position'] as const;

export const updateConnectorAccountInput = z
  .object({
    id: connectorAccountId,
    label: connectorLabel.optional(),
    credentials: connectorCredentials.optional().describe('Replaces the stored credentials (Stripe only); write-only'),
    rules: connectorRules.optional().describe('Replaces the rules as a whole'),
    position: connectorPosition.optional().describe('1 is tried first; past the end: last'),
  })
  // Strict without refinements, so the document says additionalProperties: false; an empty change is
  // refused by the command (and by the document's anyOf, from bodyRequiresOneOf).
  .strict();
export type UpdateConnectorAccountInput = z.output<typeof updateConnectorAccountInput>;

/** `sk_test_…4242`: enough to tell two keys apart, nothing to use. */
export function credentialsHint(secretKey: string): string {
  const prefix = /^(sk|rk)_(test|live)_/.exec(secretKey)?.[0] ?? '';
  return `${prefix}…${secretKey.slice(-4)}`;
}

/** The rules in words, for the dashboard and the CLI: "EUR or USD, 1.00 to 500.00, card". */
export function describeRules(rules: {
  currencies: string[] | null;
  minAmount: number | null;
  maxAmount: number | null;
  paymentMethodTypes: string[] | null;
}): string {
  const parts: string[] = [];
  parts.push(rules.currencies ? `currency ${rules.currencies.join(' or ')}` : 'any currency');
  if (rules.minAmount != null && rules.maxAmount != null) parts.push(`amount ${rules.minAmount} to ${rules.maxAmount} (minor units)`);
  else if (rules.minAmount != null) parts.push(`amount at least ${rules.minAmount} (minor units)`);
  else if (rules.maxAmount != null) parts.push(`amount at most ${rules.maxAmount} (minor units)`);
  else parts.push('any amount');
  parts.push(
    rules.paymentMethodTypes ? `paid by ${rules.paymentMethodTypes.map((t) => t.replaceAll('_', ' ')).join(' or ')}` : 'any payment method',
  );
  return parts.join(', ');
}
