import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { COUNT_CAP } from '../../api/payment-store.js';
import { createPaymentsClient } from '../../client/index.js';
import { paymentReference } from '../../common/payment-id.js';
import { ulid } from '../../common/ulid.js';
import type { PaymentStatus } from '../../common/vocabulary.js';
import { payments } from '../../db/schema.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/**
 * The list's sorts, cursors both ways, total and search, against rows written straight into the
 * read model (a merchant of their own, with deliberate ties in every sort key) and compared with
 * the same rows sorted in memory.
 */
let system: TestSystem;
let merchant: { id: string; key: string; api: ReturnType<typeof createPaymentsClient> };

type Row = typeof payments.$inferInsert & { id: string; amount: number; status: PaymentStatus; createdAt: Date; scheduledAt: Date };
const rows: Row[] = [];
/** Named, not taken from the vocabulary's order: the tests filter on `completed` and need rows of it. */
const SEEDED_STATUSES: readonly PaymentStatus[] = ['pending', 'processing', 'completed'];
const ROWS = 47;
const BASE = Date.parse('2026-01-01T00:00:00Z');

beforeAll(async () => {
  system = await startTestSystem();
  const created = await createMerchant(system.database.db, 'List merchant');
  merchant = { id: created.id, key: created.apiKey.key, api: createPaymentsClient({ url: system.apiUrl, apiKey: created.apiKey.key }) };
  for (let i = 0; i < ROWS; i++) {
    const id = `pay_${ulid()}`;
    // Few distinct values per key, so every sort has long runs of ties that only the id can order.
    const createdAt = new Date(BASE + Math.floor(i / 4) * 1000);
    rows.push({
      id,
      merchantId: created.id,
      reference: paymentReference(id),
      amount: [500, 100, 2500, 100, 999][i % 5]!,
      currency: 'EUR',
      status: SEEDED_STATUSES[i % 3]!,
      delaySeconds: 60,
      scheduledAt: new Date(BASE + (i % 4) * 60_000),
      data: {},
      description: i % 7 === 0 ? `Lunch order ${i}` : null,
      version: 1,
      createdAt,
      updatedAt: createdAt,
    });
  }
  await system.database.db.insert(payments).values(rows);
}, 120_000);
afterAll(() => system?.stop());

type Sort = 'createdAt' | 'amount' | 'status' | 'scheduledAt';
type Direction = 'asc' | 'desc';
type Filter = { status?: PaymentStatus; q?: string };

const keyOf = (sort: Sort | undefined, r: Row): number | string =>
  sort === 'amount'
    ? r.amount
    : sort === 'status'
      ? r.status
      : sort === 'createdAt'
        ? r.createdAt.getTime()
        : sort === 'scheduledAt'
          ? r.scheduledAt.getTime()
          : '';

/** The oracle: the same rows filtered and sorted in memory, the id breaking ties. */
function expected(sort: Sort | undefined, direction: Direction, filter: Filter = {}): string[] {
  const sign = direction === 'asc' ? 1 : -1;
  return rows
    .filter((r) => !filter.status || r.status === filter.status)
    .filter(
      (r) =>
        !filter.q ||
        r.reference.toLowerCase().includes(filter.q.toLowerCase()) ||
        (r.description ?? '').toLowerCase().includes(filter.q.toLowerCase()),
    )
    .sort((a, b) => {
      const ka = keyOf(sort, a);
      const kb = keyOf(sort, b);
      if (ka !== kb) return (ka < kb ? -1 : 1) * sign;
      return (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * sign;
    })
    .map((r) => r.id);
}

const list = (input: Parameters<typeof merchant.api.payments.list.query>[0]) => merchant.api.payments.list.query(input);

async function walkForward(input: { sort?: Sort; direction?: Direction; limit: number } & Filter) {
  const pages: Array<Awaited<ReturnType<typeof list>>> = [];
  let cursor: string | undefined;
  do {
    const page = await list({ ...input, cursor });
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 100);
  return pages;
}

describe('sorting', () => {
  it.each([
    ['amount', 'asc'],
    ['amount', 'desc'],
    ['status', 'asc'],
    ['scheduledAt', 'desc'],
    ['createdAt', 'asc'],
    [undefined, 'desc'],
  ] as const)('by %s %s: every row once, ties in id order, the same as an in-memory sort', async (sort, direction) => {
    const pages = await walkForward({ sort, direction, limit: 10 });
    expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual(expected(sort, direction));
    expect(pages.every((p) => p.total === ROWS && p.totalExact)).toBe(true);
  });

  it("admits only cursors that mean something: another order's cursor or a bare id pages after that payment", async () => {
    const byAmount = await list({ sort: 'amount', limit: 5 });
    const anchor = byAmount.items[4]!.id;
    const byStatus = expected('status', 'desc');
    const after = byStatus.slice(byStatus.indexOf(anchor) + 1, byStatus.indexOf(anchor) + 6);
    expect((await list({ sort: 'status', limit: 5, cursor: byAmount.nextCursor! })).items.map((p) => p.id)).toEqual(after);
    expect((await list({ sort: 'status', limit: 5, cursor: anchor })).items.map((p) => p.id)).toEqual(after);
    // `before` wins when both are sent.
    const back = await list({ sort: 'status', limit: 5, before: anchor });
    expect((await list({ sort: 'status', limit: 5, before: anchor, cursor: anchor })).items).toEqual(back.items);

    // A payment this merchant does not have names no place in a sorted list: an empty page, not an error.
    const unknown = await list({ sort: 'amount', limit: 5, cursor: `pay_${'0'.repeat(26)}` });
    expect(unknown).toMatchObject({ items: [], nextCursor: null, prevCursor: null, total: ROWS });
    const garbage = await fetch(`${system.apiUrl}/api/v1/payments?sort=amount&cursor=bm90LWpzb24`, {
      headers: { 'x-api-key': merchant.key },
    });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { message: string }).message).toMatch(/cursor: must be a payment id or a cursor this list gave out/);
  });
});

describe('paging both ways', () => {
  it('forward then back with prevCursor returns the same pages, and the first page has no prevCursor', async () => {
    for (const sort of ['amount', 'scheduledAt', undefined] as const) {
      const forward = await walkForward({ sort, limit: 7, status: 'pending' });
      expect(forward.length).toBeGreaterThan(2);
      expect(forward[0]!.prevCursor).toBeNull();
      expect(forward.at(-1)!.nextCursor).toBeNull();
      let page = forward.at(-1)!;
      for (let i = forward.length - 2; i >= 0; i--) {
        page = await list({ sort, limit: 7, status: 'pending', before: page.prevCursor! });
        expect(
          page.items.map((p) => p.id),
          `${sort} page ${i}`,
        ).toEqual(forward[i]!.items.map((p) => p.id));
      }
      expect(page.prevCursor).toBeNull();
      expect(page.nextCursor).toBe(forward[0]!.nextCursor);
    }
  });

  it('keeps the old contract: without a sort, the cursor is the last id and older pages follow', async () => {
    const first = await list({ limit: 3 });
    expect(first.nextCursor).toBe(first.items[2]!.id);
    const second = await list({ limit: 3, cursor: first.nextCursor! });
    expect(second.items.map((p) => p.id)).toEqual(expected(undefined, 'desc').slice(3, 6));
  });
});

describe('total', () => {
  it('counts every filter, cursor aside', async () => {
    const failed = await list({ status: 'completed', limit: 2 });
    expect(failed.total).toBe(expected(undefined, 'desc', { status: 'completed' }).length);
    const later = await list({ status: 'completed', limit: 2, cursor: failed.nextCursor! });
    expect(later.total).toBe(failed.total);
    const lunch = await list({ q: 'lunch', status: 'pending', limit: 2 });
    expect(lunch.total).toBe(expected(undefined, 'desc', { q: 'lunch', status: 'pending' }).length);
    expect(lunch.total).toBeGreaterThan(0);
    const from = await list({ createdFrom: new Date(BASE + 5000).toISOString(), limit: 2 });
    expect(from.total).toBe(rows.filter((r) => r.createdAt.getTime() >= BASE + 5000).length);
  });

  it('counts up to the cap exactly; one row more makes the total a lower bound', async () => {
    const big = await createMerchant(system.database.db, 'Big merchant');
    const api = createPaymentsClient({ url: system.apiUrl, apiKey: big.apiKey.key });
    const seed = (n: number) =>
      system.database.pool.query(
        `insert into payments (id, merchant_id, reference, amount, currency, status, delay_seconds, scheduled_at, data, version, created_at, updated_at)
         select id, $1, 'ref_' || id, 100, 'EUR', 'completed', 0, now(), '{}', 1, now(), now()
         from (select 'pay_' || upper(substr(md5(random()::text), 1, 26)) as id from generate_series(1, $2)) ids`,
        [big.id, n],
      );
    const total = async () => {
      const page = await api.payments.list.query({ limit: 1 });
      return { total: page.total, totalExact: page.totalExact };
    };
    await seed(COUNT_CAP);
    expect(await total()).toEqual({ total: COUNT_CAP, totalExact: true });
    await seed(1);
    expect(await total()).toEqual({ total: COUNT_CAP, totalExact: false });
  });
});

describe('search (q)', () => {
  const target = () => rows[13]!;

  it('finds a payment by the beginning of its id: lower case with pay_, a bare ULID, a bare ULID prefix', async () => {
    const id = target().id;
    for (const q of [id.toLowerCase(), id.slice(4), id.slice(4).toLowerCase(), `pay_${id.slice(4, 22).toLowerCase()}`]) {
      const found = await list({ q, limit: 100 });
      expect(
        found.items.map((p) => p.id),
        q,
      ).toContain(id);
      expect(
        found.items.every(
          (p) => p.id.startsWith(`pay_${q.replace(/^pay_/i, '').toUpperCase()}`) || p.reference.toLowerCase().includes(q.toLowerCase()),
        ),
      ).toBe(true);
    }
    expect((await list({ q: id.toLowerCase(), limit: 100 })).items.map((p) => p.id)).toEqual([id]);
  });

  it('finds a piece of the reference or description in any case', async () => {
    const ref = target().reference;
    expect((await list({ q: ref.slice(-6).toLowerCase(), limit: 100 })).items.map((p) => p.id)).toContain(target().id);
    const lunch = await list({ q: 'LUNCH', limit: 100 });
    expect(lunch.items.map((p) => p.id).sort()).toEqual(expected(undefined, 'desc', { q: 'lunch' }).sort());
    // LIKE's wildcards are text here, not patterns.
    expect((await list({ q: '%', limit: 100 })).total).toBe(0);
    expect((await list({ q: 'no such payment', limit: 100 })).total).toBe(0);
  });
});

describe('merchants.me', () => {
  it("answers the key's merchant by tRPC and REST, with no secret", async () => {
    expect(await merchant.api.merchants.me.query()).toEqual({ id: merchant.id, name: 'List merchant' });
    const res = await fetch(`${system.apiUrl}/api/v1/me`, { headers: { 'x-api-key': merchant.key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: merchant.id, name: 'List merchant' });
    expect((await fetch(`${system.apiUrl}/api/v1/me`, { headers: { 'x-api-key': 'sk_nope' } })).status).toBe(401);
  });
});

describe('property: pages equal an in-memory sort of the same rows', () => {
  it('for any sort, direction, filter, page size and walk of next/previous moves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Sort | undefined>('createdAt', 'amount', 'status', 'scheduledAt', undefined),
        fc.constantFrom<Direction>('asc', 'desc'),
        fc.option(fc.constantFrom<PaymentStatus>('pending', 'processing', 'completed'), { nil: undefined }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        async (sort, direction, status, limit, moves) => {
          const all = expected(sort, direction, { status });
          let offset = 0;
          let page = await list({ sort, direction, status, limit });
          expect(page.items.map((p) => p.id)).toEqual(all.slice(0, limit));
          for (const forward of moves) {
            const cursor = forward ? page.nextCursor : page.prevCursor;
            if (!cursor) continue;
            page = await list(forward ? { sort, direction, status, limit, cursor } : { sort, direction, status, limit, before: cursor });
            offset += forward ? limit : -limit;
            expect(page.items.map((p) => p.id)).toEqual(all.slice(offset, offset + limit));
            expect(page.total).toBe(all.length);
            expect(page.nextCursor !== null).toBe(offset + limit < all.length);
            expect(page.prevCursor !== null).toBe(offset > 0);
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
