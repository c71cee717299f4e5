import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  char,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Read model of a payment: one row, moved forward only by a higher version. */
export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    reference: text('reference').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status', { enum: ['pending', 'processing', 'completed', 'failed', 'canceled'] }).notNull(),
    delaySeconds: integer('delay_seconds').notNull(),
    scheduledAt: ts('scheduled_at').notNull(),
    webhookUrl: text('webhook_url'),
    webhookStatus: text('webhook_status', { enum: ['pending', 'delivered', 'failed'] }),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    description: text('description'),
    workflowRunId: text('workflow_run_id'),
    failureReason: text('failure_reason'),
    compensated: boolean('compensated').notNull().default(false),
    version: integer('version').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    completedAt: ts('completed_at'),
  },
  (t) => [
    uniqueIndex('payments_reference_idx').on(t.reference),
    // Ids are ULIDs (time-ordered), so newest-first listing is keyset pagination over the id:
    // the primary key serves the unfiltered list, this index the list by status.
    index('payments_status_id_idx').on(t.status, t.id),
    index('payments_created_at_idx').on(t.createdAt),
  ],
);

/** Append-only timeline; (payment_id, version) makes a replayed write a no-op. */
export const paymentEvents = pgTable(
  'payment_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    version: integer('version').notNull(),
    type: text('type').notNull(),
    status: text('status').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [uniqueIndex('payment_events_payment_version_idx').on(t.paymentId, t.version)],
);

/** Idempotency-Key → payment; the request hash tells a retry from a different request reusing the key. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    paymentId: text('payment_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

/**
 * The built-in gateway simulator's ledger: one row per payment whatever the retries, so a test can
 * prove nothing was charged twice. `calls` counts authorize calls, including failed ones.
 */
export const simulatorCharges = pgTable('simulator_charges', {
  paymentId: text('payment_id').primaryKey(),
  authorizationId: text('authorization_id').notNull(),
  amount: bigint('amount', { mode: 'number' }).notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  status: text('status', { enum: ['attempted', 'authorized', 'captured', 'voided'] }).notNull(),
  calls: integer('calls').notNull().default(1),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
