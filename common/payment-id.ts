import { decodeTime } from 'ulid';
import { ulid } from './ulid.js';

/** Sortable id (ULID): newest-first listing is ordering by id, and the creation time is inside it. */
export function newPaymentId(): string {
  return `pay_${ulid()}`;
}

/** Creation time encoded in the id, so a retried create rebuilds exactly the same workflow input. */
export function paymentCreatedAt(paymentId: string): number {
  return decodeTime(paymentId.slice('pay_'.length));
}

/** Short human reference, derived from the id's random part so it needs no coordination. */
export function paymentReference(paymentId: string): string {
  return `PAY-${paymentId.slice(-12)}`;
}
