import { createHash } from 'node:crypto';

const TTL_MS = 10 * 60_000;
const results = new Map<string, { at: number; result: Promise<unknown> }>();

/**
 * Runs a form action once per form key: a double submit, or the same rendered form sent again,
 * gets the first answer instead of acting twice. For the API calls that take no idempotency key
 * of their own; it holds within this dashboard process only (scoped by merchant key and action).
 */
export function once<T>(scope: { apiKey?: string; action: string; formKey?: string }, run: () => Promise<T>): Promise<T> {
  if (!scope.formKey) return run();
  const now = Date.now();
  for (const [key, entry] of results) if (now - entry.at > TTL_MS) results.delete(key);
  const key = createHash('sha256')
    .update(`${scope.apiKey ?? ''}\n${scope.action}\n${scope.formKey}`)
    .digest('hex');
  const known = results.get(key);
  if (known) return known.result as Promise<T>;
  const result = run();
  results.set(key, { at: now, result });
  // A failure is not remembered: what is sent next is another try.
  result.catch(() => results.delete(key));
  return result;
}
