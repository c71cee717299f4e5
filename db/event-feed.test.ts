import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import type { Database } from './client.js';
import { eventQuery, pruneEvents, type EventQuery } from './event-feed.js';

const dialect = new PgDialect();
const shape = (q: Partial<EventQuery>) => {
  const { sql, params } = dialect.sqlToQuery(eventQuery({ merchantId: 'mer_1', take: 11, retentionMs: 1000, ...q }));
  return { sql: sql.replace(/\s+/g, ' '), params };
};

describe('the feed query', () => {
  it('lists one merchant, before the horizon, within the retention, newest first, one row past the page', () => {
    const { sql, params } = shape({});
    expect(sql).toContain('pg_snapshot_xmin(pg_current_snapshot())');
    expect(sql).toContain('e.merchant_id = $1');
    expect(sql).toContain('e.tx < h.horizon');
    expect(sql).toMatch(/e\.created_at >= now\(\) - \$2 \* interval '1 millisecond'/);
    expect(sql).toContain('order by e.tx desc, e.id desc');
    expect(sql).toMatch(/limit \$3/);
    expect(params).toEqual(['mer_1', 1000, 11]);
    // The horizon comes back even when nothing matches.
    expect(sql).toMatch(/left join lateral .* on true$/);
  });

  it('pages by a row comparison on (tx, id): older descending, newer ascending', () => {
    const older = shape({ from: { position: { tx: '99', id: 7 }, direction: 'older' } });
    expect(older.sql).toContain('(e.tx, e.id) < ($3::xid8, $4::bigint)');
    expect(older.sql).toContain('order by e.tx desc, e.id desc');
    expect(older.params).toEqual(['mer_1', 1000, '99', 7, 11]);
    const newer = shape({ from: { position: { tx: '99', id: 7 }, direction: 'newer' } });
    expect(newer.sql).toContain('(e.tx, e.id) > ($3::xid8, $4::bigint)');
    expect(newer.sql).toContain('order by e.tx asc, e.id asc');
  });

  it('binds every filter as a parameter', () => {
    const { sql, params } = shape({
      types: ['payment.completed', 'webhook.message.failed'],
      paymentId: 'pay_X',
      createdFrom: new Date('2026-01-01T00:00:00Z'),
      createdTo: new Date('2026-02-01T00:00:00Z'),
    });
    expect(sql).toContain('e.type = any(array[$3, $4]::text[])');
    expect(sql).toContain('e.payment_id = $5');
    expect(sql).toContain('e.created_at >= $6::timestamptz');
    expect(sql).toContain('e.created_at < $7::timestamptz');
    expect(params.slice(2, 7)).toEqual([
      'payment.completed',
      'webhook.message.failed',
      'pay_X',
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
    ]);
  });
});

describe('the retention prune', () => {
  it('stops after maxBatches statements even when every batch is full', async () => {
    const statements: string[] = [];
    const db = {
      execute: async (q: Parameters<typeof dialect.sqlToQuery>[0]) => {
        statements.push(dialect.sqlToQuery(q).sql.replace(/\s+/g, ' '));
        return { rowCount: 10 };
      },
    } as unknown as Database;
    expect(await pruneEvents(db, 1000, 10, 3)).toBe(30);
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(
      /delete from "events" where id in \( select id from "events" where created_at < now\(\) .* order by created_at limit \$2\)/s,
    );
  });

  it('stops at the first batch that is not full', async () => {
    const counts = [10, 4, 10];
    const db = { execute: async () => ({ rowCount: counts.shift() }) } as unknown as Database;
    expect(await pruneEvents(db, 1000, 10, 20)).toBe(14);
    expect(counts).toEqual([10]);
  });
});
