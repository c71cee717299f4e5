import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newPaymentId } from '../../common/payment-id.js';
import { connectDatabase, type DatabaseHandle } from '../../db/client.js';

/** Postgres itself refuses a word common/vocabulary.ts lacks, whoever writes the row. */
let database: DatabaseHandle;
beforeAll(async () => {
  database = await connectDatabase(inject('databaseUrl'), 2);
});
afterAll(() => database?.close());

const insertPayment = (status: string) =>
  database.db.$client.query(
    `insert into payments (id, reference, amount, currency, status, delay_seconds, scheduled_at, data, version, created_at, updated_at)
     values ($1, 'PAY-TEST', 100, 'USD', $2, 0, now(), '{}', 1, now(), now())`,
    [newPaymentId(), status],
  );

/** The pg error of a refused statement: its SQLSTATE and the constraint that refused it. */
const refusal = (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'accepted',
    (err: { code?: string; constraint?: string }) => ({ code: err.code, constraint: err.constraint }),
  );

describe('checked text', () => {
  it('a payment status the vocabulary has is stored; one it lacks is a check violation', async () => {
    expect(await refusal(insertPayment('pending'))).toBe('accepted');
    expect(await refusal(insertPayment('settled'))).toEqual({ code: '23514', constraint: 'payments_status_check' });
  });

  it('an endpoint may subscribe only to payment event types', async () => {
    await database.db.$client.query(`insert into merchants (id, name) values ('mer_vocabulary', 'vocabulary test') on conflict do nothing`);
    const endpoint = (types: string[]) =>
      database.db.$client.query(
        `insert into webhook_endpoints (id, merchant_id, url, event_types, secret) values ($1, 'mer_vocabulary', 'https://x.example', $2, 'whsec_x')`,
        [`we_${newPaymentId().slice(4)}`, types],
      );
    expect(await refusal(endpoint(['payment.completed']))).toBe('accepted');
    expect(await refusal(endpoint(['payment.completed', 'payment.refunded']))).toEqual({
      code: '23514',
      constraint: 'webhook_endpoints_event_types_check',
    });
  });
});
