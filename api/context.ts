import type { IncomingMessage } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config.js';
import type { Database } from '../db/client.js';

export interface ApiDependencies {
  config: Config;
  db: Database;
  temporal: Client;
}

export interface RequestFacts {
  /** From `X-API-Key` or `Authorization: Bearer`. */
  apiKey?: string;
  /** The `Idempotency-Key` header, for doors (REST) where it cannot be part of the input. */
  idempotencyKey?: string;
}

export interface Context extends ApiDependencies, RequestFacts {}

/** Testable core of the request context: everything a procedure needs, nothing from HTTP. */
export function createContextInner(deps: ApiDependencies, request: RequestFacts = {}): Context {
  return { ...deps, ...request };
}

/** What the context takes from an HTTP request. */
export function requestContext(req: IncomingMessage): RequestFacts {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const bearer = header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return { apiKey: header('x-api-key') ?? bearer, idempotencyKey: header('idempotency-key') };
}
