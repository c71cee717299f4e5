import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { webhookAttempts as webhookAttemptsTotal, webhookDeadLetters, webhookDeliveryLatency } from '../../common/metrics.js';
import { addressRefusal, createGuardedAgent, type AllowedRanges, type ResolveHost } from '../../common/url-guard.js';
import { newWebhookSecret } from '../../common/webhook-secret.js';
import { storableText } from '../../common/input-guard.js';
import type { WebhookDeliveryOutcome } from '../../common/workflow-api.js';
import type { Database } from '../../db/client.js';
import { merchants, webhookAttempts, webhookEndpoints, webhookMessages, webhookNotices } from '../../db/schema.js';

export interface WebhookDeliveryConfig {
  /** Delay before each attempt (ms); its length is the number of attempts. */
  schedule: number[];
  timeoutMs: number;
  disableAfterMs: number;
}

/**
 * The fetch deliveries use: undici's, through an agent that refuses internal addresses at connect
 * time, so the address checked is the one connected to. Node's global fetch bundles another undici
 * whose dispatcher interface differs, hence undici's own fetch; the cast only bridges the two
 * libraries' Request/Response typings.
 */
export function guardedWebhookFetch(allowed: AllowedRanges, resolve?: ResolveHost): typeof fetch {
  const dispatcher = createGuardedAgent(allowed, resolve);
  const guarded = (input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as UndiciRequestInit), dispatcher });
  return guarded as unknown as typeof fetch;
}

/** Longest Retry-After honoured, so a receiver cannot park a message for ever. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * One attempt at one message, run as an activity whose retries follow the configured schedule
 * (through `nextRetryDelay`). Every attempt is recorded. 2xx delivers; 410 Gone disables the
 * endpoint at once; anything else is retried until the schedule is exhausted, and the message is
 * then dead-lettered (`failed`). The outcome is returned, never thrown, once it is final.
 */
export async function deliverWebhookMessage(
  deps: { db: Database; fetch: typeof fetch; config: WebhookDeliveryConfig },
  messageId: string,
): Promise<WebhookDeliveryOutcome> {
  const { db, config } = deps;
  const attempt = Context.current().info.attempt;
  // One round trip for the message, its endpoint and the merchant's default secret.
  const [found] = await db
    .select({ message: webhookMessages, endpoint: webhookEndpoints, defaultSecret: merchants.webhookSecret })
    .from(webhookMessages)
    .leftJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookMessages.endpointId))
    .leftJoin(merchants, eq(merchants.id, webhookMessages.merchantId))
    .where(eq(webhookMessages.id, messageId));
  if (!found) throw ApplicationFailure.nonRetryable(`no webhook message ${messageId}`, 'WebhookMessageMissing');
  const { message, endpoint } = found;
  const finish = (delivered: boolean, statusCode: number | null, error: string | null) =>
    outcome(db, message.id, delivered, statusCode, error);

  if (endpoint && !endpoint.enabled) {
    return finish(false, null, `endpoint disabled: ${endpoint.disabledReason ?? 'by the merchant'}`);
  }
  const secret = endpoint?.secret ?? found.defaultSecret ?? (await merchantSecret(db, message.merchantId));
  const started = performance.now();
  // What a receiver sent is stored as text Postgres accepts, whatever bytes it was.
  const recordAttempt = (statusCode: number | null, error: string | null, excerpt: string | null = null) =>
    db.insert(webhookAttempts).values({
      messageId,
      statusCode,
      error: storable(error),
      responseExcerpt: storable(excerpt),
      latencyMs: Math.round(performance.now() - started),
    });

  const body = JSON.stringify(message.payload);
  const sentAt = new Date();
  let status: number | null = null;
  let excerpt: string | null = null;
  let error: string | null = null;
  let retryAfterMs: number | undefined;
  const activity = Context.current();
  // Heartbeats let Temporal notice a dead worker within its heartbeat timeout instead of the
  // start-to-close timeout; a cancellation (the worker stopping) ends the request at once.
  const beating = setInterval(() => activity.heartbeat(), 2_000);
  try {
    const response = await deps.fetch(message.url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'temporal-payments-webhooks/1',
        'webhook-id': message.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(message.id, sentAt, body),
      },
      body,
      signal: AbortSignal.any([AbortSignal.timeout(config.timeoutMs), activity.cancellationSignal]),
    });
    status = response.status;
    excerpt = await readExcerpt(response);
    retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (status < 200 || status >= 300) error = `receiver answered HTTP ${status}`;
  } catch (err) {
    // The guarded agent refused the address it was about to connect to: final for this URL now,
    // so no retry; a redeliver tries again once DNS or the allowlist changed.
    const refused = addressRefusal(err);
    if (refused) {
      webhookAttemptsTotal.inc({ outcome: 'refused' });
      await recordAttempt(null, `refused: ${message.url} ${refused.problem}`);
      return finish(false, null, `refused: ${refused.problem}`);
    }
    error = activity.cancellationSignal.aborted
      ? 'interrupted: the worker is stopping; another attempt follows'
      : (err as Error).name === 'TimeoutError'
        ? `no answer within ${config.timeoutMs} ms`
        : `network error: ${String((err as Error).cause ?? err)}`;
  } finally {
    clearInterval(beating);
  }
  await recordAttempt(status, error, excerpt);
  // Cancelled (the worker stops): Temporal retries the attempt elsewhere, outside the schedule.
  if (activity.cancellationSignal.aborted) throw activity.cancellationSignal.reason;
  webhookAttemptsTotal.inc({ outcome: !error ? 'delivered' : status === null ? 'network_error' : 'http_error' });

  if (!error) {
    webhookDeliveryLatency.observe(Math.max(0, Date.now() - message.createdAt.getTime()) / 1000);
    if (endpoint?.failingSince) await db.update(webhookEndpoints).set({ failingSince: null }).where(eq(webhookEndpoints.id, endpoint.id));
    return finish(true, status, null);
  }
  if (endpoint) {
    if (status === 410) {
      await disableEndpoint(db, endpoint.id, message.merchantId, 'the receiver answered 410 Gone');
      return finish(false, status, error);
    }
    const [row] = await db
      .update(webhookEndpoints)
      .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, now())` })
      .where(eq(webhookEndpoints.id, endpoint.id))
      .returning({ failingSince: webhookEndpoints.failingSince });
    if (row?.failingSince && Date.now() - row.failingSince.getTime() >= config.disableAfterMs) {
      await disableEndpoint(db, endpoint.id, message.merchantId, `every attempt failed since ${row.failingSince.toISOString()}`);
      return finish(false, status, error);
    }
  }
  if (attempt >= config.schedule.length) {
    webhookDeadLetters.inc();
    Context.current().log.warn('webhook message dead-lettered', { messageId, paymentId: message.paymentId, url: message.url, error });
    await db.insert(webhookNotices).values({
      merchantId: message.merchantId,
      type: 'webhook.message.failed',
      endpointId: message.endpointId,
      messageId,
      detail: `${message.eventType} to ${message.url} failed ${attempt} times; last: ${error}`,
    });
    return finish(false, status, error);
  }
  const nextDelay = Math.max(config.schedule[attempt] ?? 0, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
  throw ApplicationFailure.create({ message: error, type: 'WebhookAttemptFailed', nextRetryDelay: nextDelay });
}

async function outcome(db: Database, messageId: string, delivered: boolean, statusCode: number | null, error: string | null): Promise<WebhookDeliveryOutcome> {
  await db
    .update(webhookMessages)
    .set({ status: delivered ? 'delivered' : 'failed', lastError: storable(error), deliveredAt: delivered ? new Date() : null })
    .where(eq(webhookMessages.id, messageId));
  const [{ attempts } = { attempts: 0 }] = await db.select({ attempts: count() }).from(webhookAttempts).where(eq(webhookAttempts.messageId, messageId));
  return { delivered, statusCode, attempts, error: storable(error) };
}

async function disableEndpoint(db: Database, endpointId: string, merchantId: string, reason: string): Promise<void> {
  const disabled = await db
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: reason })
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.enabled, true)))
    .returning({ id: webhookEndpoints.id });
  if (disabled.length) {
    await db.insert(webhookNotices).values({ merchantId, type: 'webhook.endpoint.disabled', endpointId, detail: reason });
  }
}

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

const EXCERPT_BYTES = 512;

/** The first bytes of a response, then the rest is dropped unread: a receiver cannot fill our memory. */
async function readExcerpt(response: Response): Promise<string | null> {
  const reader = response.body?.getReader();
  if (!reader) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short still leaves what arrived.
  } finally {
    void reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8') || null;
}

const storable = (text: string | null) => (text === null ? null : storableText(text));

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
