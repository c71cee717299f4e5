import { and, asc, eq, gt, gte, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { connectorAccounts, merchants } from './schema.js';

/**
 * Connector accounts of a merchant in route order. Positions of the accounts still in use are
 * dense (1, 2, 3…): every change that moves one runs in a transaction holding the merchant's row,
 * so two concurrent changes cannot leave a gap or a tie.
 */

export type ConnectorAccountRow = typeof connectorAccounts.$inferSelect;
type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
type Executor = Database | Transaction;

const active = (merchantId: string) => and(eq(connectorAccounts.merchantId, merchantId), isNull(connectorAccounts.removedAt));

/** The accounts a merchant routes through, first first. */
export function listConnectorAccounts(db: Executor, merchantId: string): Promise<ConnectorAccountRow[]> {
  return db.select().from(connectorAccounts).where(active(merchantId)).orderBy(asc(connectorAccounts.position));
}

/** One account of this merchant, removed ones included (payments keep naming them). */
export async function findConnectorAccount(db: Executor, merchantId: string, id: string): Promise<ConnectorAccountRow | undefined> {
  const [row] = await db
    .select()
    .from(connectorAccounts)
    .where(and(eq(connectorAccounts.id, id), eq(connectorAccounts.merchantId, merchantId)));
  return row;
}

/** Runs `change` holding the merchant's row, the lock every position change takes. */
export function withMerchantAccounts<T>(db: Database, merchantId: string, change: (tx: Transaction, count: number) => Promise<T>) {
  return db.transaction(async (tx) => {
    await tx.select({ id: merchants.id }).from(merchants).where(eq(merchants.id, merchantId)).for('update');
    const [{ count } = { count: 0 }] = await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(connectorAccounts)
      .where(active(merchantId));
    return change(tx, count);
  });
}

type NewAccount = Omit<typeof connectorAccounts.$inferInsert, 'position' | 'merchantId' | 'createdAt' | 'updatedAt' | 'removedAt'>;

/** Inserts at `position` (1-based, at most count + 1; default the end), moving the ones from there down by one. */
export async function insertConnectorAccount(
  tx: Transaction,
  merchantId: string,
  count: number,
  account: NewAccount,
  position = count + 1,
): Promise<ConnectorAccountRow> {
  await tx
    .update(connectorAccounts)
    .set({ position: sql`${connectorAccounts.position} + 1` })
    .where(and(active(merchantId), gte(connectorAccounts.position, position)));
  const [row] = await tx
    .insert(connectorAccounts)
    .values({ ...account, merchantId, position })
    .returning();
  return row!;
}

/** Moves one account to `to` (1-based, at most count), shifting those between by one. */
export async function moveConnectorAccount(tx: Transaction, merchantId: string, from: number, to: number): Promise<void> {
  if (from === to) return;
  const [low, high, step] = from < to ? [from + 1, to, -1] : [to, from - 1, 1];
  await tx
    .update(connectorAccounts)
    .set({ position: sql`${connectorAccounts.position} + ${step}` })
    .where(and(active(merchantId), gte(connectorAccounts.position, low), lte(connectorAccounts.position, high)));
}

export async function updateConnectorAccount(
  tx: Executor,
  merchantId: string,
  id: string,
  changes: Partial<typeof connectorAccounts.$inferInsert>,
): Promise<ConnectorAccountRow> {
  const [row] = await tx
    .update(connectorAccounts)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(connectorAccounts.id, id), eq(connectorAccounts.merchantId, merchantId)))
    .returning();
  return row!;
}

/** Marks it removed and closes the gap it leaves in the route order. */
export async function removeConnectorAccount(tx: Transaction, account: ConnectorAccountRow): Promise<ConnectorAccountRow> {
  const removed = await updateConnectorAccount(tx, account.merchantId, account.id, { removedAt: new Date() });
  await tx
    .update(connectorAccounts)
    .set({ position: sql`${connectorAccounts.position} - 1` })
    .where(and(active(account.merchantId), gt(connectorAccounts.position, account.position)));
  return removed;
}

/**
 * Every sealed account (removed ones too: the old key is dropped only once nothing needs it), of one
 * merchant or all, with the key that wraps it.
 */
export async function sealedAccounts(db: Executor, merchantId?: string) {
  const rows = await db
    .select({ id: connectorAccounts.id, sealedCredentials: connectorAccounts.sealedCredentials, keyId: connectorAccounts.credentialsKeyId })
    .from(connectorAccounts)
    .where(and(isNotNull(connectorAccounts.sealedCredentials), merchantId ? eq(connectorAccounts.merchantId, merchantId) : undefined))
    .orderBy(asc(connectorAccounts.id));
  return rows as Array<{ id: string; sealedCredentials: string; keyId: string | null }>;
}

/**
 * Stores a rewrapped envelope only if the account still holds the one that was rewrapped, so a
 * rotation racing with a credentials update never puts the old credentials back. True if stored.
 */
export async function replaceSealedCredentials(
  db: Executor,
  id: string,
  previous: string,
  next: { sealed: string; keyId: string },
): Promise<boolean> {
  const rows = await db
    .update(connectorAccounts)
    .set({ sealedCredentials: next.sealed, credentialsKeyId: next.keyId })
    .where(and(eq(connectorAccounts.id, id), eq(connectorAccounts.sealedCredentials, previous)))
    .returning({ id: connectorAccounts.id });
  return rows.length === 1;
}
