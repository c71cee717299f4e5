/**
 * `node --import tsx bench/probes/get-by-id.ts [rows]`: why a get-by-id slows down under a large table.
 * On a throwaway Postgres: `rows` synthetic payments as the read-model arm seeds them, plus 12,000
 * real-shaped ones (ULID ids, four projections each, as a payment's life writes them); then the
 * API's own lookup over the first 4,000 and over all 12,000 ids side by side, its plan with buffers,
 * the table's and indexes' sizes and buffer hit ratios.
 */
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import pg from 'pg';
import os from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { findPayment } from '../../api/payment-store.js';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { initialSnapshot } from '../../common/workflow-api.js';
import { connectDatabase } from '../../db/client.js';
import { runMigrations } from '../../db/migrate.js';
import { projectPaymentState } from '../../db/projection.js';
import { payments } from '../../db/schema.js';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres.js';
import { freePort } from '../../dev/ports.js';
import { alternate } from '../alternate.js';
import { closedLoop, repeatFor } from '../load.js';
import { percentile, round } from '../stats.js';
import { seedSyntheticPayments } from '../arms/read-model.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-probe-'));
await chmod(scratch, 0o755);
const postgres = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'postgres'), port: await freePort() });
const database = await connectDatabase(postgres.url, 8);
// Seeding and catalog reads take longer than the API pool's statement timeout on a loaded machine.
const pool = new pg.Pool({ connectionString: postgres.url, max: 8 });
try {
  const { db } = database;
  await runMigrations(db);
  await pool.query(`insert into merchants (id, name) values ('mer_demo', 'Demo') on conflict do nothing`);
  const seeded = await seedSyntheticPayments(pool, rows);
  const ids = await closedLoop(12_000, 8, async () => {
    const id = newPaymentId();
    const fields = {
      paymentId: id,
      merchantId: 'mer_demo',
      paymentMethodId: null,
      reference: paymentReference(id),
      amount: 1,
      currency: 'EUR',
      delaySeconds: 3600,
      webhookUrl: null,
      data: {},
      description: null,
      createdAt: paymentCreatedAt(id),
    };
    const s = initialSnapshot(fields, 'run');
    await projectPaymentState(db, s, { type: 'payment.created', details: {} });
    return id;
  });
  // A finished payment's row is rewritten by each projection of its life.
  await closedLoop(4_000, 8, async (i) => {
    const id = ids[i]!;
    for (const [version, status] of [
      [2, 'processing'],
      [3, 'completed'],
      [4, 'completed'],
    ] as const) {
      await pool.query(`update payments set status = $2, version = $3, updated_at = now() where id = $1`, [id, status, version]);
    }
  });
  await pool.query('analyze payments');
  const lookup = (from: string[]) => () => findPayment(db, 'mer_demo', from[Math.floor(Math.random() * from.length)]!);
  const few = ids.slice(0, 4_000);
  // The same lookup as a named prepared statement: planned once per connection instead of per call.
  const prepared = db
    .select()
    .from(payments)
    .where(and(eq(payments.merchantId, sql.placeholder('merchantId')), eq(payments.id, sql.placeholder('id'))))
    .limit(1)
    .prepare('probe_find_payment');
  const preparedLookup = () => prepared.execute({ merchantId: 'mer_demo', id: ids[Math.floor(Math.random() * ids.length)]! });
  await pool.query('select pg_stat_reset()');
  const p50 = await alternate(
    {
      few: async () => percentile(await repeatFor(2_000, lookup(few)), 50),
      all: async () => percentile(await repeatFor(2_000, lookup(ids)), 50),
      prepared: async () => percentile(await repeatFor(2_000, preparedLookup), 50),
    },
    { reps: 4, warmUp: true },
  );
  const statioReads = await pool.query(
    `select heap_blks_read, heap_blks_hit, idx_blks_read, idx_blks_hit from pg_statio_user_tables where relname = 'payments'`,
  );
  // Planning is per backend and warms its caches: the third plan on one connection is the steady one.
  const client = await pool.connect();
  let explain: pg.QueryResult = undefined as unknown as pg.QueryResult;
  try {
    for (let i = 0; i < 3; i++)
      explain = await client.query(
        `explain (analyze, buffers, verbose) select * from payments where merchant_id = $1 and id = $2 limit 1`,
        ['mer_demo', ids[11_000 - i]],
      );
  } finally {
    client.release();
  }
  const sizes = await pool.query(
    `select relname, pg_size_pretty(pg_relation_size(oid)) as size from pg_class
     where relname like 'payments%' and relkind in ('r', 'i', 't') order by pg_relation_size(oid) desc`,
  );
  const statio = await pool.query(
    `select relname, heap_blks_read, heap_blks_hit, idx_blks_read, idx_blks_hit, toast_blks_read, toast_blks_hit
     from pg_statio_user_tables where relname = 'payments'`,
  );
  const width = await pool.query(`select avg(pg_column_size(p))::int as row_bytes from payments p where id = any($1)`, [ids]);
  const settings = await pool.query(
    `select name, setting, unit from pg_settings where name in ('shared_buffers', 'effective_cache_size', 'work_mem')`,
  );
  console.log(
    JSON.stringify(
      {
        seeded,
        p50Ms: {
          few: p50.few.map((v) => round(v, 3)),
          all: p50.all.map((v) => round(v, 3)),
          prepared: p50.prepared.map((v) => round(v, 3)),
        },
        rowBytes: width.rows[0],
        settings: settings.rows,
        sizes: sizes.rows,
        statio: statio.rows,
        statioDuringLookups: statioReads.rows,
      },
      null,
      2,
    ),
  );
  console.log(explain.rows.map((r) => r['QUERY PLAN']).join('\n'));
} finally {
  await pool.end();
  await database.pool.end();
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
