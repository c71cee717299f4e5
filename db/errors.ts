import { errorChain } from '../common/error-chain.js';

/**
 * Postgres errors that repeat on every attempt: data exceptions (SQLSTATE class 22, e.g. a NUL in
 * jsonb) and integrity violations (class 23). A unique violation (23505) is left out: a concurrent
 * writer can cause one that the next attempt resolves. Connection loss, shutdown (57P) and timeouts
 * carry other codes or none, and stay retryable.
 */
export function deterministicDatabaseError(err: unknown): { code: string; message: string } | undefined {
  for (const e of errorChain(err)) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code) && code !== '23505') {
      return { code, message: typeof message === 'string' ? message : code };
    }
  }
  return undefined;
}
