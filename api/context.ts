import type { IncomingMessage } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config.js';
import type { Database } from '../db/client.js';

export interface ApiDependencies {
  config: Config;
  db: Database;
  temporal: Client;
}

export interface Context extends ApiDependencies {
  /** The `Idempotency-Key` header, for doors (REST) where it cannot be part of the input. */
  idempotencyKey?: string;
}

/** Testable core of the request context: everything a procedure needs, nothing from HTTP. */
export function createContextInner(deps: ApiDependencies, request: { idempotencyKey?: string } = {}): Context {
  return { ...deps, ...request };
}

/** What the context takes from an HTTP request. */
export function requestContext(req: IncomingMessage): { idempotencyKey?: string } {
  const key = req.headers['idempotency-key'];
  return typeof key === 'string' && key.length > 0 ? { idempotencyKey: key } : {};
}
