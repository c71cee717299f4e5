import type { IncomingMessage } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { noteMerchant } from './observability.js';
import type { PaymentChangeFeed } from './payment-changes.js';
import type { Database } from '../db/client.js';

export interface ApiDependencies {
  config: Config;
  logger: Logger;
  /** Live payment changes (LISTEN/NOTIFY) for subscriptions. */
  changes: PaymentChangeFeed;
  db: Database;
  temporal: Client;
}

export interface RequestFacts {
  /** From `X-API-Key` or `Authorization: Bearer`. */
  apiKey?: string;
  /** The `Idempotency-Key` header, for doors (REST) where it cannot be part of the input. */
  idempotencyKey?: string;
}

export interface Context extends ApiDependencies, RequestFacts {
  /** The request's logger (carries its request id), or the process logger outside HTTP. */
  log: Logger;
  /** Called once the API key names a merchant, so the request log carries it. */
  onMerchant?: (merchantId: string) => void;
}

/** Testable core of the request context: everything a procedure needs, nothing from HTTP. */
export function createContextInner(
  deps: ApiDependencies,
  request: RequestFacts & { log?: Logger; onMerchant?: (merchantId: string) => void } = {},
): Context {
  return { ...deps, ...request, log: request.log ?? deps.logger };
}

/** What the context takes from an HTTP request. */
export function requestContext(req: IncomingMessage): RequestFacts & { log?: Logger; onMerchant: (merchantId: string) => void } {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const bearer = header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return {
    apiKey: header('x-api-key') ?? bearer,
    idempotencyKey: header('idempotency-key'),
    log: (req as IncomingMessage & { log?: Logger }).log,
    onMerchant: (merchantId: string) => noteMerchant(req, merchantId),
  };
}
