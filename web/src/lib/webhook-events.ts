/**
 * The events an endpoint can subscribe to: a payment's life and the operator notices, not the
 * reports about a payment's own webhook call (which would notify an endpoint about itself). The
 * API accepts the same set: both read the shared vocabulary.
 */
export { SUBSCRIBABLE_EVENT_TYPES, isSubscribable, type SubscribableEventType } from '../../../common/vocabulary.js';
