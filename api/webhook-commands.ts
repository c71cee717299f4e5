import { and, asc, desc, eq, gte, inArray, isNull, sql, type AnyColumn } from 'drizzle-orm';
import { comparableDate } from '../common/text-rules.js';
import { WEBHOOK_TEST_EVENT_TYPE, type SubscribableEventType, type WebhookDeliveryStatus } from '../common/vocabulary.js';
import { ulid } from '../common/ulid.js';
import { parseCidrList, webhookUrlProblem, type AllowedRanges } from '../common/url-guard.js';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE } from '../common/workflow-api.js';
import { merchants, webhookAttempts, webhookEndpoints, webhookMessages, webhookNotices } from '../db/schema.js';
import { newWebhookSecret } from '../common/webhook-secret.js';
import type { webhookDeliveryWorkflow } from '../worker/workflows/index.js';
import { TRPCError, type MerchantContext } from './trpc.js';

/** Webhook endpoints, messages and operator actions, always within one merchant. */

const allowedCache = new Map<string, AllowedRanges>();
function allowedRanges(ctx: MerchantContext) {
  const key = ctx.config.WEBHOOK_ALLOWED_CIDRS;
  if (!allowedCache.has(key)) allowedCache.set(key, parseCidrList(key));
  return allowedCache.get(key)!;
}

/** Refuses a webhook URL that points inside the network (SSRF), naming the field. */
export async function assertPublicWebhookUrl(ctx: MerchantContext, field: string, url: string): Promise<void> {
  const problem = await webhookUrlProblem(url, allowedRanges(ctx));
  if (problem) throw new TRPCError({ code: 'BAD_REQUEST', message: `${field}: ${problem}` });
}

type EndpointRow = typeof webhookEndpoints.$inferSelect;

export function endpointView(e: EndpointRow) {
  return {
    id: e.id,
    url: e.url,
    eventTypes: e.eventTypes,
    description: e.description,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    failingSince: e.failingSince?.toISOString() ?? null,
    previousSecretExpiresAt: stillValid(e.previousSecret, e.previousSecretExpiresAt),
    createdAt: e.createdAt.toISOString(),
  };
}

/** Until when the secret a rotation replaced still signs, or null once it no longer does. */
function stillValid(previous: string | null, expiresAt: Date | null): string | null {
  return previous && expiresAt && expiresAt > new Date() ? expiresAt.toISOString() : null;
}

/**
 * The columns a rotation sets, in one UPDATE so concurrent rotations cannot lose a secret: the
 * current secret becomes the previous one for WEBHOOK_SECRET_ROTATION_OVERLAP. A previous secret
 * still in its overlap is replaced, so at most two secrets sign at once (rotate twice and only the
 * newest two verify).
 */
function rotation(ctx: MerchantContext, current: AnyColumn) {
  const overlap = ctx.config.WEBHOOK_SECRET_ROTATION_OVERLAP;
  return overlap > 0
    ? { previous: sql<string | null>`${current}`, expiresAt: new Date(Date.now() + overlap) }
    : { previous: null, expiresAt: null };
}

export async function getEndpointOrThrow(ctx: MerchantContext, id: string): Promise<EndpointRow> {
  const [row] = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.merchantId, ctx.merchantId)));
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no webhook endpoint with id ${id}` });
  return row;
}

export async function createEndpoint(
  ctx: MerchantContext,
  input: { url: string; eventTypes: SubscribableEventType[]; description?: string },
) {
  await assertPublicWebhookUrl(ctx, 'url', input.url);
  const [row] = await ctx.db
    .insert(webhookEndpoints)
    .values({
      id: `we_${ulid()}`,
      merchantId: ctx.merchantId,
      url: input.url,
      eventTypes: input.eventTypes,
      description: input.description,
      secret: newWebhookSecret(),
    })
    .returning();
  // The secret is shown here and on rotation only.
  return { ...endpointView(row!), secret: row!.secret };
}

export async function listEndpoints(ctx: MerchantContext) {
  const rows = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.merchantId, ctx.merchantId))
    .orderBy(desc(webhookEndpoints.id));
  return rows.map(endpointView);
}

export async function updateEndpoint(
  ctx: MerchantContext,
  input: { id: string; url?: string; eventTypes?: SubscribableEventType[]; description?: string; enabled?: boolean },
) {
  const current = await getEndpointOrThrow(ctx, input.id);
  if (input.url) await assertPublicWebhookUrl(ctx, 'url', input.url);
  const changes = {
    ...(input.url !== undefined ? { url: input.url } : {}),
    ...(input.eventTypes !== undefined ? { eventTypes: input.eventTypes } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    // Re-enabling clears the reason and the failure streak.
    ...(input.enabled !== undefined
      ? { enabled: input.enabled, disabledReason: input.enabled ? null : 'disabled by the merchant', failingSince: null }
      : {}),
  };
  // Nothing to change is a valid request: the endpoint as it is.
  if (Object.keys(changes).length === 0) return endpointView(current);
  const [row] = await ctx.db.update(webhookEndpoints).set(changes).where(eq(webhookEndpoints.id, input.id)).returning();
  return endpointView(row!);
}

export async function rotateEndpointSecret(ctx: MerchantContext, id: string) {
  await getEndpointOrThrow(ctx, id);
  const { previous, expiresAt } = rotation(ctx, webhookEndpoints.secret);
  const [row] = await ctx.db
    .update(webhookEndpoints)
    .set({ secret: newWebhookSecret(), previousSecret: previous, previousSecretExpiresAt: expiresAt })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return { ...endpointView(row!), secret: row!.secret };
}

/** An endpoint's current signing secret, for a merchant who lost it (the dashboard asks before showing it). */
export async function endpointSecret(ctx: MerchantContext, id: string) {
  const row = await getEndpointOrThrow(ctx, id);
  return { secret: row.secret, previousSecretExpiresAt: stillValid(row.previousSecret, row.previousSecretExpiresAt) };
}

/**
 * Deletes an endpoint. Its messages and attempts stay, for audit (listMessages by endpointId still
 * finds them); messages still being retried end as failed at their next attempt, never sent.
 */
export async function deleteEndpoint(ctx: MerchantContext, id: string) {
  await getEndpointOrThrow(ctx, id);
  await ctx.db.delete(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.merchantId, ctx.merchantId)));
  return { id, deleted: true as const };
}

const RECENT_ATTEMPTS = 100;

/** An endpoint with how its deliveries went: over its last 100 attempts, its failed messages, its last error. */
export async function getEndpoint(ctx: MerchantContext, id: string) {
  const endpoint = await getEndpointOrThrow(ctx, id);
  const recent = ctx.db
    .select({ statusCode: webhookAttempts.statusCode })
    .from(webhookAttempts)
    .innerJoin(webhookMessages, eq(webhookMessages.id, webhookAttempts.messageId))
    .where(eq(webhookMessages.endpointId, id))
    .orderBy(desc(webhookAttempts.id))
    .limit(RECENT_ATTEMPTS)
    .as('recent');
  const ok = sql`${recent.statusCode} between 200 and 299`;
  const [[attempts], [failed], [lastError]] = await Promise.all([
    ctx.db.select({ total: sql<number>`count(*)::int`, succeeded: sql<number>`(count(*) filter (where ${ok}))::int` }).from(recent),
    ctx.db
      .select({ count: sql<number>`count(*)::int` })
      .from(webhookMessages)
      .where(and(eq(webhookMessages.endpointId, id), eq(webhookMessages.status, 'failed'))),
    ctx.db
      .select({ at: webhookAttempts.attemptedAt, error: webhookAttempts.error, statusCode: webhookAttempts.statusCode })
      .from(webhookAttempts)
      .innerJoin(webhookMessages, eq(webhookMessages.id, webhookAttempts.messageId))
      .where(
        and(
          eq(webhookMessages.endpointId, id),
          sql`(${webhookAttempts.statusCode} is null or ${webhookAttempts.statusCode} not between 200 and 299)`,
        ),
      )
      .orderBy(desc(webhookAttempts.id))
      .limit(1),
  ]);
  return {
    ...endpointView(endpoint),
    stats: {
      recentAttempts: attempts?.total ?? 0,
      successRate: attempts?.total ? attempts.succeeded / attempts.total : null,
      failedMessages: failed?.count ?? 0,
      lastError: lastError ? { at: lastError.at.toISOString(), message: lastError.error ?? `HTTP ${lastError.statusCode ?? '?'}` } : null,
    },
  };
}

/**
 * A new default secret, the one that signs payments' own `webhookUrl` deliveries; shown only now.
 * Messages still being retried are signed with it from their next attempt, and with the replaced
 * one too during the overlap.
 */
export async function rotateDefaultWebhookSecret(ctx: MerchantContext) {
  const { previous, expiresAt } = rotation(ctx, merchants.webhookSecret);
  const [row] = await ctx.db
    .update(merchants)
    .set({ webhookSecret: newWebhookSecret(), previousWebhookSecret: previous, previousWebhookSecretExpiresAt: expiresAt })
    .where(eq(merchants.id, ctx.merchantId))
    .returning();
  if (!row?.webhookSecret) throw new TRPCError({ code: 'NOT_FOUND', message: `no merchant ${ctx.merchantId}` });
  return { secret: row.webhookSecret, previousSecretExpiresAt: stillValid(row.previousWebhookSecret, row.previousWebhookSecretExpiresAt) };
}

/** The default secret, created on first use like the worker does (concurrent callers agree). */
export async function defaultWebhookSecret(ctx: MerchantContext) {
  await ctx.db
    .update(merchants)
    .set({ webhookSecret: newWebhookSecret() })
    .where(and(eq(merchants.id, ctx.merchantId), isNull(merchants.webhookSecret)));
  const [row] = await ctx.db.select().from(merchants).where(eq(merchants.id, ctx.merchantId));
  if (!row?.webhookSecret) throw new TRPCError({ code: 'NOT_FOUND', message: `no merchant ${ctx.merchantId}` });
  return { secret: row.webhookSecret, previousSecretExpiresAt: stillValid(row.previousWebhookSecret, row.previousWebhookSecretExpiresAt) };
}

type MessageRow = typeof webhookMessages.$inferSelect;
export function messageView(m: MessageRow) {
  return {
    id: m.id,
    paymentId: m.paymentId,
    endpointId: m.endpointId,
    url: m.url,
    eventType: m.eventType,
    sequence: m.sequence,
    status: m.status,
    lastError: m.lastError,
    createdAt: m.createdAt.toISOString(),
    deliveredAt: m.deliveredAt?.toISOString() ?? null,
  };
}

export async function listMessages(
  ctx: MerchantContext,
  filter: { paymentId?: string; endpointId?: string; status?: WebhookDeliveryStatus; limit: number },
) {
  const rows = await ctx.db
    .select()
    .from(webhookMessages)
    .where(
      and(
        eq(webhookMessages.merchantId, ctx.merchantId),
        filter.paymentId ? eq(webhookMessages.paymentId, filter.paymentId) : undefined,
        filter.endpointId ? eq(webhookMessages.endpointId, filter.endpointId) : undefined,
        filter.status ? eq(webhookMessages.status, filter.status) : undefined,
      ),
    )
    .orderBy(filter.paymentId ? asc(webhookMessages.sequence) : desc(webhookMessages.createdAt))
    .limit(filter.limit);
  return rows.map(messageView);
}

export async function getMessageOrThrow(ctx: MerchantContext, id: string): Promise<MessageRow> {
  const [row] = await ctx.db
    .select()
    .from(webhookMessages)
    .where(and(eq(webhookMessages.id, id), eq(webhookMessages.merchantId, ctx.merchantId)));
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no webhook message with id ${id}` });
  return row;
}

export async function listAttempts(ctx: MerchantContext, messageId: string) {
  await getMessageOrThrow(ctx, messageId);
  const rows = await ctx.db.select().from(webhookAttempts).where(eq(webhookAttempts.messageId, messageId)).orderBy(asc(webhookAttempts.id));
  return rows.map((a) => ({
    attemptedAt: a.attemptedAt.toISOString(),
    statusCode: a.statusCode,
    latencyMs: a.latencyMs,
    responseExcerpt: a.responseExcerpt,
    error: a.error,
  }));
}

/** Sends messages again, in the given order, each with a fresh retry schedule. */
async function startDelivery(ctx: MerchantContext, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  await ctx.db.update(webhookMessages).set({ status: 'pending', lastError: null }).where(inArray(webhookMessages.id, messageIds));
  await ctx.temporal.workflow.start<typeof webhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
    workflowId: `deliver-${ulid()}`,
    taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
    args: [messageIds],
  });
}

export async function redeliverMessage(ctx: MerchantContext, id: string) {
  const message = await getMessageOrThrow(ctx, id);
  if (message.endpointId) {
    const endpoint = await getEndpointOrThrow(ctx, message.endpointId);
    if (!endpoint.enabled) throw new TRPCError({ code: 'CONFLICT', message: `endpoint ${endpoint.id} is disabled; enable it first` });
  }
  await startDelivery(ctx, [id]);
  return messageView({ ...message, status: 'pending', lastError: null });
}

export async function replayFailed(ctx: MerchantContext, endpointId: string, since: string) {
  const endpoint = await getEndpointOrThrow(ctx, endpointId);
  if (!endpoint.enabled) throw new TRPCError({ code: 'CONFLICT', message: `endpoint ${endpoint.id} is disabled; enable it first` });
  const failed = await ctx.db
    .select({ id: webhookMessages.id })
    .from(webhookMessages)
    .where(
      and(
        eq(webhookMessages.endpointId, endpointId),
        eq(webhookMessages.status, 'failed'),
        gte(webhookMessages.createdAt, comparableDate(since)),
      ),
    )
    .orderBy(asc(webhookMessages.createdAt), asc(webhookMessages.sequence));
  await startDelivery(
    ctx,
    failed.map((m) => m.id),
  );
  return { replayed: failed.length };
}

export async function sendTestEvent(ctx: MerchantContext, endpointId: string) {
  const endpoint = await getEndpointOrThrow(ctx, endpointId);
  const id = `msg_${ulid()}`;
  const payload = { type: WEBHOOK_TEST_EVENT_TYPE, timestamp: new Date().toISOString(), data: { endpointId } };
  await ctx.db.insert(webhookMessages).values({
    id,
    merchantId: ctx.merchantId,
    endpointId: endpoint.id,
    url: endpoint.url,
    eventType: WEBHOOK_TEST_EVENT_TYPE,
    sequence: 0,
    payload,
  });
  await startDelivery(ctx, [id]);
  return { messageId: id };
}

export async function listNotices(ctx: MerchantContext, limit: number) {
  const rows = await ctx.db
    .select()
    .from(webhookNotices)
    .where(eq(webhookNotices.merchantId, ctx.merchantId))
    .orderBy(desc(webhookNotices.id))
    .limit(limit);
  return rows.map((n) => ({
    type: n.type,
    endpointId: n.endpointId,
    messageId: n.messageId,
    detail: n.detail,
    createdAt: n.createdAt.toISOString(),
  }));
}
