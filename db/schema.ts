import { sql, type SQL } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  char,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import {
  ATTEMPT_OUTCOMES,
  CAPTURE_METHODS,
  CONNECTOR_KINDS,
  CONNECTOR_STEPS,
  NOTICE_TYPES,
  PAYMENT_EVENT_TYPES,
  PAYMENT_METHOD_TYPES,
  PAYMENT_STATUSES,
  REFUND_STATUSES,
  SIMULATOR_CHARGE_STATUSES,
  SUBSCRIBABLE_EVENT_TYPES,
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_MESSAGE_EVENT_TYPES,
  type SubscribableEventType,
} from '../common/vocabulary.js';
import { FEED_EVENT_TYPES } from '../common/event-feed.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * The vocabulary as SQL literals. Inlined, not bound: a check constraint is DDL, which takes no
 * parameters. The words are our own constants; quotes are doubled all the same.
 */
const literals = (words: readonly string[]): SQL => sql.raw(words.map((w) => `'${w.replaceAll("'", "''")}'`).join(', '));

/**
 * Checked text: Postgres itself refuses a word the vocabulary lacks, whoever writes the row. Text
 * with a check rather than a Postgres enum, so adding a word is a migration that replaces the check,
 * not an `ALTER TYPE` that cannot run inside a transaction.
 */
const oneOf = (name: string, column: AnyPgColumn, words: readonly string[]) => check(name, sql`${column} in (${literals(words)})`);

/** Fixed id of the demo merchant every fresh database has (the embedded mode's default tenant). */
export const DEMO_MERCHANT_ID = 'mer_demo';

export const merchants = pgTable('merchants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Signs webhooks sent to a payment's own `webhookUrl` (Standard Webhooks `whsec_…`); created on first use. */
  webhookSecret: text('webhook_secret'),
  /** The default secret before the last rotation: it still signs, beside the new one, until it expires. */
  previousWebhookSecret: text('previous_webhook_secret'),
  previousWebhookSecretExpiresAt: ts('previous_webhook_secret_expires_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** API keys are stored only as SHA-256 hashes; the prefix lets a merchant recognise a key. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash_idx').on(t.hash), index('api_keys_merchant_idx').on(t.merchantId)],
);

/** A stored way to pay: never raw card data, only what identifies it to a person. */
export const paymentMethods = pgTable(
  'payment_methods',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    type: text('type', { enum: PAYMENT_METHOD_TYPES }).notNull(),
    brand: text('brand'),
    last4: char('last4', { length: 4 }),
    label: text('label'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('payment_methods_merchant_idx').on(t.merchantId), oneOf('payment_methods_type_check', t.type, PAYMENT_METHOD_TYPES)],
);

/** Read model of a payment: one row, moved forward only by a higher version. */
export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    // Payments started before merchants existed belonged to the only tenant there was: the demo one.
    merchantId: text('merchant_id').notNull().default(DEMO_MERCHANT_ID),
    reference: text('reference').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    delaySeconds: integer('delay_seconds').notNull(),
    scheduledAt: ts('scheduled_at').notNull(),
    webhookUrl: text('webhook_url'),
    webhookStatus: text('webhook_status', { enum: WEBHOOK_DELIVERY_STATUSES }),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    /** Stripe-style key-value strings the merchant filters by (`metadata[key]=value`). */
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    description: text('description'),
    paymentMethodId: text('payment_method_id'),
    workflowRunId: text('workflow_run_id'),
    failureReason: text('failure_reason'),
    compensated: boolean('compensated').notNull().default(false),
    version: integer('version').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    completedAt: ts('completed_at'),
    /** `manual`: authorized when due, captured when the merchant asks (within `captureBefore`). */
    captureMethod: text('capture_method', { enum: CAPTURE_METHODS }).notNull().default('automatic'),
    /** What was captured: null until then; the whole amount for an automatic payment once completed. */
    capturedAmount: bigint('captured_amount', { mode: 'number' }),
    /** A manual payment awaiting capture is voided at this time unless captured. */
    captureBefore: ts('capture_before'),
    /** Minor units returned by succeeded refunds; written only by the refunds workflow's projection. */
    amountRefunded: bigint('amount_refunded', { mode: 'number' }).notNull().default(0),
    /** The connector account that authorized the payment; null for the built-in simulator (or not yet). */
    connectorAccountId: text('connector_account_id'),
    /** Its kind, kept beside the id so the row reads on its own after the account is removed. */
    connector: text('connector', { enum: CONNECTOR_KINDS }),
    /** The processor's reference of the authorization (a Stripe PaymentIntent id, `auth_…` for the simulator). */
    processorReference: text('processor_reference'),
  },
  (t) => [
    // Not unique: the reference is derived from the id, which already is. A second unique index
    // would also make concurrent `on conflict (id)` upserts of one payment fail on it instead.
    // text_pattern_ops lets the prefix search use it.
    index('payments_merchant_reference_idx').on(t.merchantId, t.reference.op('text_pattern_ops')),
    // Ids are ULIDs (time-ordered), so newest-first listing is keyset pagination over the id:
    // the primary key serves the unfiltered list, this index the list by status.
    index('payments_merchant_id_idx').on(t.merchantId, t.id),
    index('payments_merchant_status_id_idx').on(t.merchantId, t.status, t.id),
    index('payments_created_at_idx').on(t.createdAt),
    // The list's sorts: keyset paging on (key, id) within a merchant reads these in order, not sorts the tenant.
    index('payments_merchant_created_at_id_idx').on(t.merchantId, t.createdAt, t.id),
    index('payments_merchant_amount_id_idx').on(t.merchantId, t.amount, t.id),
    index('payments_merchant_scheduled_at_id_idx').on(t.merchantId, t.scheduledAt, t.id),
    // The list's search (`q`): ILIKE '%piece%' on reference and description through trigrams (pg_trgm).
    index('payments_reference_trgm_idx').using('gin', t.reference.op('gin_trgm_ops')),
    index('payments_description_trgm_idx').using('gin', t.description.op('gin_trgm_ops')),
    index('payments_metadata_idx').using('gin', t.metadata.op('jsonb_path_ops')),
    oneOf('payments_status_check', t.status, PAYMENT_STATUSES),
    oneOf('payments_webhook_status_check', t.webhookStatus, WEBHOOK_DELIVERY_STATUSES),
    oneOf('payments_capture_method_check', t.captureMethod, CAPTURE_METHODS),
    oneOf('payments_connector_check', t.connector, CONNECTOR_KINDS),
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
    type: text('type', { enum: PAYMENT_EVENT_TYPES }).notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    occurredAt: ts('occurred_at').notNull(),
    details: jsonb('details')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
  },
  (t) => [
    uniqueIndex('payment_events_payment_version_idx').on(t.paymentId, t.version),
    oneOf('payment_events_type_check', t.type, PAYMENT_EVENT_TYPES),
    oneOf('payment_events_status_check', t.status, PAYMENT_STATUSES),
  ],
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
 * The built-in gateway simulator's ledger: one row per authorize attempt (its idempotency key)
 * whatever the retries, so a test can prove nothing was charged twice. A payment has one row, or one
 * per simulator account its route tried. `calls` counts authorize calls, including failed ones.
 */
export const simulatorCharges = pgTable(
  'simulator_charges',
  {
    authorizationId: text('authorization_id').primaryKey(),
    paymentId: text('payment_id').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status', { enum: SIMULATOR_CHARGE_STATUSES }).notNull(),
    /** What the capture took (part of `amount` for a partial manual capture); null until captured. */
    capturedAmount: bigint('captured_amount', { mode: 'number' }),
    calls: integer('calls').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('simulator_charges_payment_idx').on(t.paymentId),
    oneOf('simulator_charges_status_check', t.status, SIMULATOR_CHARGE_STATUSES),
  ],
);

/**
 * A merchant's processor accounts, in the order its route tries them (`position`), each with the
 * rules a payment must meet to go there (null: any). Credentials are sealed (envelope encryption:
 * a data key per account, wrapped by the key `credentialsKeyId` names) and never read back by the API.
 */
export const connectorAccounts = pgTable(
  'connector_accounts',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    kind: text('kind', { enum: CONNECTOR_KINDS }).notNull(),
    label: text('label').notNull(),
    position: integer('position').notNull(),
    currencies: text('currencies').array(),
    minAmount: bigint('min_amount', { mode: 'number' }),
    maxAmount: bigint('max_amount', { mode: 'number' }),
    paymentMethodTypes: text('payment_method_types').array(),
    /** The sealed credentials (JSON of the envelope); null for the simulator, which needs none. */
    sealedCredentials: text('sealed_credentials'),
    /** The master key that wrapped the data key: rotation rewraps every account still on an old one. */
    credentialsKeyId: text('credentials_key_id'),
    /** What the dashboard may show of the credentials (`sk_test_…4242`). */
    credentialsHint: text('credentials_hint'),
    /** Removed accounts stay, so payments they took still name them; they no longer route. */
    removedAt: ts('removed_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('connector_accounts_merchant_idx').on(t.merchantId, t.position),
    oneOf('connector_accounts_kind_check', t.kind, CONNECTOR_KINDS),
  ],
);

/**
 * Every call the workflow made to a connector, one row per activity attempt: which connector,
 * which step of which route attempt, how it ended and how long it took.
 */
export const paymentAttempts = pgTable(
  'payment_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    paymentId: text('payment_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    step: text('step', { enum: CONNECTOR_STEPS }).notNull(),
    routeAttempt: integer('route_attempt').notNull(),
    connectorAccountId: text('connector_account_id'),
    connector: text('connector', { enum: CONNECTOR_KINDS }).notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    outcome: text('outcome', { enum: ATTEMPT_OUTCOMES }).notNull(),
    latencyMs: integer('latency_ms').notNull(),
    error: text('error'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('payment_attempts_payment_idx').on(t.paymentId, t.id),
    oneOf('payment_attempts_step_check', t.step, CONNECTOR_STEPS),
    oneOf('payment_attempts_connector_check', t.connector, CONNECTOR_KINDS),
    oneOf('payment_attempts_outcome_check', t.outcome, ATTEMPT_OUTCOMES),
  ],
);

/** Where a merchant wants payment events delivered. An empty `eventTypes` means every type. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    url: text('url').notNull(),
    eventTypes: text('event_types')
      .array()
      .$type<SubscribableEventType[]>()
      .notNull()
      .default(sql`'{}'::text[]`),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(true),
    disabledReason: text('disabled_reason'),
    secret: text('secret').notNull(),
    /** The secret before the last rotation: it still signs, beside the new one, until it expires. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: ts('previous_secret_expires_at'),
    /** Since when every attempt failed; cleared by a success. Long enough, and the endpoint is disabled. */
    failingSince: ts('failing_since'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('webhook_endpoints_merchant_idx').on(t.merchantId),
    check('webhook_endpoints_event_types_check', sql`${t.eventTypes} <@ array[${literals(SUBSCRIBABLE_EVENT_TYPES)}]::text[]`),
  ],
);

/**
 * One event for one receiver. The id is the Standard Webhooks `webhook-id`: derived from
 * (payment, version, receiver), so a retried enqueue finds the same message and receivers dedupe.
 */
export const webhookMessages = pgTable(
  'webhook_messages',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    paymentId: text('payment_id'),
    /** Null for the payment's own `webhookUrl`. */
    endpointId: text('endpoint_id'),
    url: text('url').notNull(),
    eventType: text('event_type', { enum: WEBHOOK_MESSAGE_EVENT_TYPES }).notNull(),
    sequence: integer('sequence').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    deliveredAt: ts('delivered_at'),
  },
  (t) => [
    index('webhook_messages_payment_idx').on(t.paymentId, t.sequence),
    index('webhook_messages_endpoint_idx').on(t.endpointId, t.createdAt),
    index('webhook_messages_merchant_status_idx').on(t.merchantId, t.status),
    oneOf('webhook_messages_event_type_check', t.eventType, WEBHOOK_MESSAGE_EVENT_TYPES),
    oneOf('webhook_messages_status_check', t.status, WEBHOOK_DELIVERY_STATUSES),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    messageId: text('message_id')
      .notNull()
      .references(() => webhookMessages.id),
    attemptedAt: ts('attempted_at').notNull().defaultNow(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    responseExcerpt: text('response_excerpt'),
    error: text('error'),
  },
  (t) => [index('webhook_attempts_message_idx').on(t.messageId, t.id)],
);

/** Things a merchant must know about its webhooks: dead letters, disabled endpoints. */
export const webhookNotices = pgTable(
  'webhook_notices',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    merchantId: text('merchant_id').notNull(),
    type: text('type', { enum: NOTICE_TYPES }).notNull(),
    endpointId: text('endpoint_id'),
    messageId: text('message_id'),
    detail: text('detail').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('webhook_notices_merchant_idx').on(t.merchantId, t.id), oneOf('webhook_notices_type_check', t.type, NOTICE_TYPES)],
);

/**
 * Idempotency-Keys of the webhook commands (create endpoint, rotate, send test, redeliver, replay):
 * unlike a payment, their answer (a new secret, a message id, a count) cannot be derived again, so
 * it is stored. `response` is null while the first request runs.
 */
export const webhookIdempotencyKeys = pgTable(
  'webhook_idempotency_keys',
  {
    merchantId: text('merchant_id').notNull(),
    key: text('key').notNull(),
    action: text('action').notNull(),
    requestHash: text('request_hash').notNull(),
    response: jsonb('response').$type<unknown>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.merchantId, t.key] }), index('webhook_idempotency_keys_expires_idx').on(t.expiresAt)],
);

/** Postgres's 64-bit transaction id; drizzle has no column for it. Read as decimal text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/**
 * The merchant's events feed: one row per timeline entry and per notice, written in the same
 * statement as that row, so the feed misses and repeats nothing. `tx` is the writing
 * transaction's id: the feed lists only transactions older than every one still running, in
 * (tx, id) order, so a row committing late never lands behind a cursor already given out
 * (common/event-feed.ts). `payload` is what a webhook of the event carries.
 */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tx: xid8('tx')
      .notNull()
      .default(sql`pg_current_xact_id()`),
    merchantId: text('merchant_id').notNull(),
    type: text('type', { enum: FEED_EVENT_TYPES }).notNull(),
    paymentId: text('payment_id'),
    /** The timeline entry's version, for a payment event. */
    paymentVersion: integer('payment_version'),
    /** The webhook_notices row, for a notice. */
    noticeId: bigint('notice_id', { mode: 'number' }),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('events_merchant_tx_id_idx').on(t.merchantId, t.tx, t.id),
    index('events_payment_idx').on(t.paymentId),
    // The retention prune deletes the oldest first without reading the rest.
    index('events_created_at_idx').on(t.createdAt),
    oneOf('events_type_check', t.type, FEED_EVENT_TYPES),
  ],
);

/**
 * Refunds of a payment, projected by its refunds workflow: `pending` when accepted, then `succeeded`
 * or `failed` (never back). The id is derived from the Idempotency-Key when one was given.
 */
export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    merchantId: text('merchant_id').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    reason: text('reason'),
    status: text('status', { enum: REFUND_STATUSES }).notNull(),
    failureReason: text('failure_reason'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('refunds_payment_idx').on(t.paymentId, t.createdAt), oneOf('refunds_status_check', t.status, REFUND_STATUSES)],
);

export const SIMULATOR_REFUND_STATUSES = ['attempted', 'succeeded', 'refused'] as const;

/**
 * The simulator's refund ledger: one row per refund id whatever the retries. It does not police the
 * amounts (a test proves our side never asks for more than was captured by summing this ledger).
 */
export const simulatorRefunds = pgTable(
  'simulator_refunds',
  {
    refundId: text('refund_id').primaryKey(),
    paymentId: text('payment_id').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status', { enum: SIMULATOR_REFUND_STATUSES }).notNull(),
    calls: integer('calls').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('simulator_refunds_payment_idx').on(t.paymentId),
    oneOf('simulator_refunds_status_check', t.status, SIMULATOR_REFUND_STATUSES),
  ],
);
