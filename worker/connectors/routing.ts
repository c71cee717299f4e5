import { and, asc, eq, isNull } from 'drizzle-orm';
import { BUILT_IN_SIMULATOR, type ConnectorRef } from '../../common/connector-route.js';
import type { Database } from '../../db/client.js';
import { connectorAccounts, paymentMethods } from '../../db/schema.js';

export interface RoutedPayment {
  merchantId: string;
  amount: number;
  currency: string;
  paymentMethodId: string | null;
}

/** A route rule; null fields accept anything. */
export interface RouteRules {
  currencies: string[] | null;
  minAmount: number | null;
  maxAmount: number | null;
  paymentMethodTypes: string[] | null;
}

/**
 * Does a payment meet an account's rules? A payment without a payment method has no type, so an
 * account that names types does not take it: a rule the payment cannot be shown to meet is not met.
 */
export function acceptsPayment(rules: RouteRules, payment: { amount: number; currency: string; methodType: string | null }): boolean {
  if (rules.currencies && !rules.currencies.some((c) => c.toUpperCase() === payment.currency.toUpperCase())) return false;
  if (rules.minAmount !== null && payment.amount < rules.minAmount) return false;
  if (rules.maxAmount !== null && payment.amount > rules.maxAmount) return false;
  if (rules.paymentMethodTypes && (payment.methodType === null || !rules.paymentMethodTypes.includes(payment.methodType))) return false;
  return true;
}

/**
 * The connectors a payment may go to, in the merchant's order. A merchant with no account pays
 * through the built-in simulator; one with accounts never falls back to it (its money would go
 * nowhere real), so none matching is an empty route.
 */
export async function planRoute(db: Database, payment: RoutedPayment): Promise<ConnectorRef[]> {
  const accounts = await db
    .select()
    .from(connectorAccounts)
    .where(and(eq(connectorAccounts.merchantId, payment.merchantId), isNull(connectorAccounts.removedAt)))
    .orderBy(asc(connectorAccounts.position), asc(connectorAccounts.createdAt));
  if (accounts.length === 0) return [BUILT_IN_SIMULATOR];
  let methodType: string | null = null;
  if (payment.paymentMethodId !== null && accounts.some((a) => a.paymentMethodTypes !== null)) {
    const [method] = await db
      .select({ type: paymentMethods.type })
      .from(paymentMethods)
      .where(eq(paymentMethods.id, payment.paymentMethodId))
      .limit(1);
    methodType = method?.type ?? null;
  }
  return accounts
    .filter((account) => acceptsPayment(account, { amount: payment.amount, currency: payment.currency, methodType }))
    .map((account) => ({ accountId: account.id, kind: account.kind }));
}
