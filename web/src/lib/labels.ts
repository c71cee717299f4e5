import type { PaymentStatus } from '../../../common/vocabulary.js';

/** What a person reads for each status. Keyed by the shared vocabulary, so a new status fails type-checking until it has a label. */
export const PAYMENT_STATUS_LABEL: Record<PaymentStatus, string> = {
  pending: 'Pending',
  processing: 'Processing',
  requires_capture: 'Awaiting capture',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  partially_refunded: 'Partially refunded',
  refunded: 'Refunded',
};
