import { is, Param, Placeholder, sql, type Query, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Database } from './client.js';

const dialect = new PgDialect();

/** A named value of a compiled statement, bound at each call. */
export type Bind = (name: string) => Placeholder;

/**
 * A statement written with Drizzle, turned into SQL text once: each call binds only its values, and
 * Postgres, given the statement's name, parses and plans it once per connection. Building and
 * rendering a statement of this size per call was a tenth of the worker's busy time (CPU profile,
 * bench/ANALYSIS.md item 6).
 */
export function compiledStatement(name: string, build: (db: Database, bind: Bind) => SQL) {
  let compiled: Query | undefined;
  const query = (db: Database, values: Record<string, unknown>) => {
    compiled ??= dialect.sqlToQuery(build(db, (name) => sql.placeholder(name)));
    return { text: compiled.sql, values: compiled.params.map((param) => bound(param, values)) };
  };
  return {
    /** The text and the values of one call, for a caller that sends it itself (the benchmark's raw pg). */
    query,
    async rows<R extends Record<string, unknown>>(db: Database, values: Record<string, unknown>): Promise<R[]> {
      return (await db.$client.query<R>({ name, ...query(db, values) })).rows;
    },
  };
}

/**
 * A compiled parameter's value for this call, encoded by its column as Drizzle would (a null is sent
 * as null: Drizzle's own `fillPlaceholders` hands it to the encoder, which fails on a null date).
 */
function bound(param: unknown, values: Record<string, unknown>): unknown {
  const encoded = is(param, Param) && is(param.value, Placeholder);
  const placeholder = encoded ? (param.value as Placeholder) : is(param, Placeholder) ? param : undefined;
  if (!placeholder) return param;
  if (!(placeholder.name in values)) throw new Error(`no value for the statement's ${placeholder.name}`);
  const value = values[placeholder.name];
  return encoded && value != null ? (param as Param).encoder.mapToDriverValue(value) : value;
}
