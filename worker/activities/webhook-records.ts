import { ApplicationFailure } from '@temporalio/activity';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { newWebhookSecret } from '../../common/webhook-secret.js';
import { storableText } from '../../common/input-guard.js';
import type { WebhookDeliveryOutcome } from '../../common/workflow-api.js';
import type { Database } from '../../db/client.js';
import { NOTICE_TYPES } from '../../common/vocabulary.js';
import { merchants, webhookAttempts, webhookEndpoints, webhookMessages } from '../../db/schema.js';
import { announceNotice } from './notice-delivery.js';

/** The message, its endpoint (none for a payment's own webhookUrl) and the merchant's default secret, in one round trip. */
export async function loadMessage(db: Database, messageId: string) {
  const [found] = await db
    .select({
      message: webhookMessages,
      endpoint: webhookEndpoints,
      defaultSecret: {
        secret: merchants.webhookSecret,
        previousSecret: merchants.previousWebhookSecret,
        previousSecretExpiresAt: merchants.previousWebhookSecretExpiresAt,
      },
    })
    .from(webhookMessages)
    .leftJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookMessages.endpointId))
    .leftJoin(merchants, eq(merchants.id, webhookMessages.merchantId))
    .where(eq(webhookMessages.id, messageId));
  if (!found) throw ApplicationFailure.nonRetryable(`no webhook message ${messageId}`, 'WebhookMessageMissing');
  return found;
}

export type LoadedMessage = Awaited<ReturnType<typeof loadMessage>>;
export type Endpoint = NonNullable<LoadedMessage['endpoint']>;

/** The merchant's default signing secret, created on first use (concurrent callers agree). */
export async function merchantSecret(db: Database, merchantId: string): Promise<string> {
  await db
    .update(merchants)
    .set({ webhookSecret: newWebhookSecret() })
    .where(and(eq(merchants.id, merchantId), isNull(merchants.webhookSecret)));
  const [row] = await db.select({ secret: merchants.webhookSecret }).from(merchants).where(eq(merchants.id, merchantId));
  if (!row?.secret) throw ApplicationFailure.nonRetryable(`no merchant ${merchantId}`, 'MerchantMissing');
  return row.secret;
}

/** Every attempt is recorded; `started` is when it began (performance.now()). */
export async function recordAttempt(
  db: Database,
  messageId: string,
  started: number,
  attempt: { statusCode: number | null; error: string | null; excerpt?: string | null },
): Promise<void> {
  // What a receiver sent is stored as text Postgres accepts, whatever bytes it was.
  await db.insert(webhookAttempts).values({
    messageId,
    statusCode: attempt.statusCode,
    error: storable(attempt.error),
    responseExcerpt: storable(attempt.excerpt ?? null),
    latencyMs: Math.round(performance.now() - started),
  });
}

/** The message's final state, and the outcome the workflow gets. */
export async function settleMessage(
  db: Database,
  messageId: string,
  delivered: boolean,
  statusCode: number | null,
  error: string | null,
): Promise<WebhookDeliveryOutcome> {
  // One round trip: the attempts (all recorded by earlier statements) are counted as the row is settled.
  const [{ attempts } = { attempts: 0 }] = await db
    .update(webhookMessages)
    .set({ status: delivered ? 'delivered' : 'failed', lastError: storable(error), deliveredAt: delivered ? new Date() : null })
    .where(eq(webhookMessages.id, messageId))
    .returning({
      attempts: sql<number>`(select count(*)::int from ${webhookAttempts} where ${webhookAttempts.messageId} = ${messageId})`,
    });
  return { delivered, statusCode, attempts, error: storable(error) };
}

/** The outcome a settled message had, as `settleMessage` reported it. */
export async function settledOutcome(db: Database, message: LoadedMessage['message']): Promise<WebhookDeliveryOutcome> {
  const attempts = await db
    .select({ statusCode: webhookAttempts.statusCode })
    .from(webhookAttempts)
    .where(eq(webhookAttempts.messageId, message.id))
    .orderBy(desc(webhookAttempts.id));
  return {
    delivered: message.status === 'delivered',
    statusCode: attempts[0]?.statusCode ?? null,
    attempts: attempts.length,
    error: message.lastError,
  };
}

export async function noteDeadLetter(db: Database, message: LoadedMessage['message'], attempts: number, error: string): Promise<void> {
  await announceNotice(db, {
    merchantId: message.merchantId,
    type: 'webhook.message.failed',
    endpointId: message.endpointId,
    messageId: message.id,
    paymentId: message.paymentId,
    detail: `${message.eventType} to ${message.url} failed ${attempts} times; last: ${error}`,
    send: !isNotice(message.eventType),
  });
}

/** Since when every attempt at the endpoint failed, this one included. */
export async function markEndpointFailing(db: Database, endpointId: string): Promise<Date | null> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, now())` })
    .where(eq(webhookEndpoints.id, endpointId))
    .returning({ failingSince: webhookEndpoints.failingSince });
  return row?.failingSince ?? null;
}

export async function markEndpointHealthy(db: Database, endpointId: string): Promise<void> {
  await db.update(webhookEndpoints).set({ failingSince: null }).where(eq(webhookEndpoints.id, endpointId));
}

/** Disables the endpoint with a notice, once (a concurrent disable finds it disabled already). */
export async function disableEndpoint(
  db: Database,
  endpointId: string,
  merchantId: string,
  reason: string,
  /** The event type of the message whose delivery gave up: a notice's delivery announces nothing further. */
  causedBy?: string,
): Promise<void> {
  const disabled = await db
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: reason })
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.enabled, true)))
    .returning({ id: webhookEndpoints.id });
  if (disabled.length) {
    await announceNotice(db, {
      merchantId,
      type: 'webhook.endpoint.disabled',
      endpointId,
      detail: reason,
      exceptEndpointId: endpointId,
      send: causedBy === undefined || !isNotice(causedBy),
    });
  }
}

const storable = (text: string | null) => (text === null ? null : storableText(text));

const isNotice = (eventType: string) => (NOTICE_TYPES as readonly string[]).includes(eventType);
