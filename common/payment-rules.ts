/**
 * Limits and checks shared by the API's zod schemas and the workflow. Pure and dependency-free so
 * the workflow bundle stays small.
 */
export const MAX_DELAY_SECONDS = 30 * 24 * 60 * 60;
export const DEFAULT_DELAY_SECONDS = 5;
export const MAX_DATA_BYTES = 16 * 1024;
/** Largest amount in minor units: keeps every sum far inside Number.MAX_SAFE_INTEGER. */
export const MAX_AMOUNT = 99_999_999_999;

/** The workflow's own guard: input that bypassed the API is refused, not processed. */
export function paymentInputProblem(fields: { amount: number; currency: string; delaySeconds: number }): string | null {
  if (!Number.isInteger(fields.amount) || fields.amount <= 0 || fields.amount > MAX_AMOUNT)
    return `amount must be an integer between 1 and ${MAX_AMOUNT} minor units`;
  if (!/^[A-Z]{3}$/.test(fields.currency)) return 'currency must be a three-letter ISO-4217 code';
  if (!Number.isInteger(fields.delaySeconds) || fields.delaySeconds < 0 || fields.delaySeconds > MAX_DELAY_SECONDS)
    return `delaySeconds must be an integer between 0 and ${MAX_DELAY_SECONDS}`;
  return null;
}
