/** Largest request body accepted (a payment's `data` is capped at 16 KiB; this leaves room for the rest). */
export const MAX_BODY_BYTES = 64 * 1024;
