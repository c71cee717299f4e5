import type { Client } from '@temporalio/client';
import type { Config } from '../common/config.js';
import type { Database } from '../db/client.js';

export interface ApiDependencies {
  config: Config;
  db: Database;
  temporal: Client;
}

export type Context = ApiDependencies;

/** Testable core of the request context: everything a procedure needs, nothing from HTTP. */
export function createContextInner(deps: ApiDependencies): Context {
  return { ...deps };
}
