import { TRPCError } from '@trpc/server';
import { ServiceError } from '@temporalio/client';
import { errorChain } from '../common/error-chain.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P03', '53300']);

/** Recognises a dependency outage (Postgres or Temporal) in an error chain. */
export function asServiceUnavailable(err: unknown): TRPCError | undefined {
  for (const e of errorChain(err)) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : '';
    if (
      (typeof code === 'string' && NETWORK_CODES.has(code)) ||
      /timeout exceeded when trying to connect|Connection terminated|Query read timeout/i.test(text)
    ) {
      return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'the database is unavailable; retry shortly', cause: e });
    }
    // gRPC status 14 UNAVAILABLE and 4 DEADLINE_EXCEEDED, as a code or in the message.
    if ((e instanceof ServiceError && /UNAVAILABLE|DEADLINE_EXCEEDED|connect/i.test(text)) || code === 14 || code === 4) {
      return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'the workflow engine is unavailable; retry shortly', cause: e });
    }
  }
  return undefined;
}
