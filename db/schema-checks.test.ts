import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { is } from 'drizzle-orm';
import { PgDialect, PgTable, getTableConfig } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import * as schema from './schema.js';

/**
 * The vocabulary reaches Postgres as check constraints, written down in a migration. A word added to
 * common/vocabulary.ts without `npm run db:generate` would be accepted by the API and refused by the
 * database: this compares the checks the schema derives now with those of the latest migration.
 */
const meta = fileURLToPath(new URL('./migrations/meta/', import.meta.url));
const latest = readdirSync(meta)
  .filter((f) => f.endsWith('_snapshot.json'))
  .sort()
  .at(-1)!;
const snapshot = JSON.parse(readFileSync(meta + latest, 'utf8')) as {
  tables: Record<string, { name: string; checkConstraints: Record<string, { value: string }> }>;
};

const dialect = new PgDialect();
const fromSchema = Object.values(schema)
  .filter((value) => is(value, PgTable))
  .flatMap((table) => {
    const config = getTableConfig(table);
    return config.checks.map((c) => [`${config.name}.${c.name}`, dialect.sqlToQuery(c.value).sql] as const);
  });
const fromMigrations = Object.values(snapshot.tables).flatMap((t) =>
  Object.entries(t.checkConstraints).map(([name, c]) => [`${t.name}.${name}`, c.value] as const),
);

describe('vocabulary checks', () => {
  it('guard every column typed by a vocabulary word list, with exactly its words', () => {
    const tables = Object.values(schema)
      .filter((value) => is(value, PgTable))
      .map(getTableConfig);
    const enumColumns = tables.flatMap((t) =>
      t.columns.filter((c) => c.enumValues?.length).map((c) => ({ table: t.name, column: c.name, words: c.enumValues! })),
    );
    expect(enumColumns.length).toBeGreaterThan(8);
    for (const { table, column, words } of enumColumns) {
      const expected = `"${table}"."${column}" in (${words.map((w) => `'${w}'`).join(', ')})`;
      expect(
        fromSchema.map(([, value]) => value),
        `${table}.${column}`,
      ).toContain(expected);
    }
  });

  it('are the ones the latest migration created (else run `npm run db:generate`)', () => {
    expect(new Map(fromMigrations)).toEqual(new Map(fromSchema));
  });
});
