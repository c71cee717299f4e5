import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { ulid } from '../common/ulid.js';
import type { Database } from '../db/client.js';
import { apiKeys, merchants } from '../db/schema.js';

/** Merchants and their API keys. A key is shown once, at creation; only its hash is stored. */

const KEY_PREFIX = 'sk_';
/** How much of a key stays visible so a person can tell keys apart (`sk_` + 8 characters). */
const VISIBLE_LENGTH = KEY_PREFIX.length + 8;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface IssuedKey {
  id: string;
  merchantId: string;
  /** The secret itself: returned once, never stored. */
  key: string;
  prefix: string;
}

export async function createMerchant(db: Database, name: string): Promise<{ id: string; name: string; apiKey: IssuedKey }> {
  const id = `mer_${ulid()}`;
  await db.insert(merchants).values({ id, name });
  return { id, name, apiKey: await issueApiKey(db, id) };
}

export async function issueApiKey(db: Database, merchantId: string): Promise<IssuedKey> {
  // 32 random bytes: far beyond guessing, so a fast hash (SHA-256) is the right one to store.
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const issued = { id: `key_${ulid()}`, merchantId, key, prefix: key.slice(0, VISIBLE_LENGTH) };
  await db.insert(apiKeys).values({ id: issued.id, merchantId, prefix: issued.prefix, hash: hashApiKey(key) });
  return issued;
}

export async function revokeApiKey(db: Database, keyId: string): Promise<boolean> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return revoked.length > 0;
}

export async function listApiKeys(db: Database, merchantId: string) {
  return db
    .select({ id: apiKeys.id, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.merchantId, merchantId))
    .orderBy(asc(apiKeys.createdAt));
}

export async function listMerchants(db: Database) {
  return db.select().from(merchants).orderBy(asc(merchants.createdAt));
}

/** The merchant a key belongs to, or undefined for an unknown or revoked key. */
export async function merchantForKey(db: Database, key: string): Promise<string | undefined> {
  const [row] = await db
    .select({ merchantId: apiKeys.merchantId })
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, hashApiKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row?.merchantId;
}
