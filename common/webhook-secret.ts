import { randomBytes } from 'node:crypto';

/** A Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** A secret as stored: the current one and, during a rotation's overlap, the one it replaced. */
export interface RotatingSecret {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * The secrets a message is signed with at `now`: the current one first, then the previous one while
 * its overlap lasts, so a receiver still holding the old secret keeps verifying (Standard Webhooks
 * allows several space-separated signatures).
 */
export function signingSecrets(stored: RotatingSecret, now: Date): string[] {
  const previousValid = stored.previousSecret && stored.previousSecretExpiresAt && stored.previousSecretExpiresAt > now;
  return previousValid ? [stored.secret, stored.previousSecret!] : [stored.secret];
}
