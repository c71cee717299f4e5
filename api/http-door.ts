import type { IncomingMessage } from 'node:http';
import type { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { Logger } from '../common/logger.js';
import { createContextInner, requestContext, type ApiDependencies, type Context } from './context.js';

/**
 * What both HTTP doors to the procedures (the tRPC adapter and the REST bridge) share, so a call
 * gets the same context and its failure the same report whichever door it came through.
 */

/** The context of a call: the process's dependencies plus what the request tells (key, idempotency key, logger). */
export function createContext(deps: ApiDependencies, req: IncomingMessage): Context {
  return createContextInner(deps, requestContext(req));
}

/**
 * A failed call whose answer says only "internal error" or "unavailable": the cause goes to the
 * request's log line (under its request id) since the answer never carries it. Client errors are
 * the client's to read in the answer.
 */
export function onError(
  deps: Pick<ApiDependencies, 'logger'>,
  failure: { error: TRPCError; path: string | undefined; req: IncomingMessage },
): void {
  if (getHTTPStatusCodeFromError(failure.error) < 500) return;
  const log = (failure.req as IncomingMessage & { log?: Logger }).log ?? deps.logger;
  log.error({ err: failure.error.cause ?? failure.error, path: failure.path }, 'request failed');
}
