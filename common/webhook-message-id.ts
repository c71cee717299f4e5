import { base64url, sha256 } from './sha256.js';
import { TERMINAL_STATUSES, isSubscribable } from './vocabulary.js';
import type { PaymentSnapshot, ProjectionEvent } from './workflow-api.js';

/**
 * Stable per (payment, version, receiver): the `webhook-id` receivers dedupe on. Pure, so the workflow
 * can know a message's id before the projection that enqueues it returns; the projection's SQL
 * computes the same value.
 */
export function webhookMessageId(paymentId: string, version: number, lane: string): string {
  return `msg_${base64url(sha256(`${paymentId}:${version}:${lane}`)).slice(0, 26)}`;
}

/**
 * The URL the payment's own webhook message of this state change goes to, or null when the change
 * sends none: only the final event of a payment with a webhookUrl (and, on the Go contract, not a
 * cancellation).
 */
export function ownWebhookUrl(snapshot: PaymentSnapshot, event: ProjectionEvent): string | null {
  const applies = isSubscribable(event.type) && Boolean(snapshot.merchantId);
  const final =
    TERMINAL_STATUSES.includes(snapshot.status) && !(snapshot.notifyOwnWebhook === 'processed' && snapshot.status === 'canceled');
  return applies && snapshot.webhookUrl && final ? snapshot.webhookUrl : null;
}
