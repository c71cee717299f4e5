import { z } from 'zod';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../common/vocabulary.js';
import {
  noticeType,
  paymentId,
  subscribableEventType,
  webhookDeliveryStatus,
  webhookMessageEventType,
  webhookUrl,
} from '../../common/payment.js';
import { dateTime, freeText } from '../../common/text-rules.js';
import * as webhooks from '../webhook-commands.js';
import { idempotent } from '../webhook-idempotency.js';
import { merchantProcedure, rest, router } from '../trpc.js';

const TAG = { tag: 'webhooks' };
const CREATED = { ...TAG, successStatus: 201 as const };
const endpointId = z.string().regex(/^we_[0-9A-Z]{26}$/, 'must be a webhook endpoint id such as we_01J…');
const messageId = z.string().regex(/^msg_[A-Za-z0-9_-]{20,40}$/, 'must be a webhook message id such as msg_…');
const idempotencyKey = z
  .string()
  .min(1)
  .max(255, 'must be at most 255 characters')
  .optional()
  .describe('A retry with the same key within 24 h gets the first answer instead of acting again (or the Idempotency-Key header)');
const eventTypes = z.array(subscribableEventType).max(SUBSCRIBABLE_EVENT_TYPES.length).describe('Empty: every payment event');

const endpoint = z.object({
  id: z.string(),
  url: z.string(),
  eventTypes: z.array(subscribableEventType),
  description: z.string().nullable(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  failingSince: z.string().nullable(),
  previousSecretExpiresAt: z
    .string()
    .nullable()
    .describe('Until when the secret replaced by the last rotation still signs (null: it no longer does)'),
  createdAt: z.string(),
});
const endpointWithSecret = endpoint.extend({ secret: z.string().describe('Standard Webhooks signing secret; shown only now') });
const endpointWithStats = endpoint.extend({
  stats: z.object({
    recentAttempts: z.number().int().describe('Attempts counted, the most recent up to 100'),
    successRate: z.number().min(0).max(1).nullable().describe('Share of those attempts answered 2xx; null without attempts'),
    failedMessages: z.number().int().describe('Messages that failed every attempt (dead letters)'),
    lastError: z.object({ at: z.string(), message: z.string() }).nullable(),
  }),
});
const secretAnswer = z.object({
  secret: z.string().describe('Standard Webhooks signing secret'),
  previousSecretExpiresAt: z
    .string()
    .nullable()
    .describe('Until when the previous secret also signs (both signatures are sent); null: only this one signs'),
});
const message = z.object({
  id: z.string(),
  paymentId: z.string().nullable(),
  endpointId: z.string().nullable(),
  url: z.string(),
  eventType: webhookMessageEventType,
  sequence: z.number().int(),
  status: webhookDeliveryStatus,
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

export const webhooksRouter = router({
  createEndpoint: merchantProcedure
    .meta(rest('POST', '/api/v1/webhook-endpoints', 'Register a webhook endpoint', CREATED))
    .input(
      z.object({ url: webhookUrl, eventTypes: eventTypes.default([]), description: freeText(200).optional(), idempotencyKey }).strict(),
    )
    .output(endpointWithSecret)
    .mutation(({ ctx, input }) => idempotent(ctx, 'createEndpoint', input, () => webhooks.createEndpoint(ctx, input))),

  listEndpoints: merchantProcedure
    .meta(rest('GET', '/api/v1/webhook-endpoints', 'List webhook endpoints', TAG))
    .output(z.array(endpoint))
    .query(({ ctx }) => webhooks.listEndpoints(ctx)),

  getEndpoint: merchantProcedure
    .meta(rest('GET', '/api/v1/webhook-endpoints/{id}', 'An endpoint with its delivery stats and last error', TAG))
    .input(z.object({ id: endpointId }).strict())
    .output(endpointWithStats)
    .query(({ ctx, input }) => webhooks.getEndpoint(ctx, input.id)),

  deleteEndpoint: merchantProcedure
    .meta(
      rest('POST', '/api/v1/webhook-endpoints/{id}/delete', 'Delete an endpoint', {
        ...TAG,
        description: 'Its messages and attempts are kept for audit; messages still being retried are not sent again.',
      }),
    )
    .input(z.object({ id: endpointId }).strict())
    .output(z.object({ id: z.string(), deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => webhooks.deleteEndpoint(ctx, input.id)),

  endpointSecret: merchantProcedure
    .meta(rest('GET', '/api/v1/webhook-endpoints/{id}/secret', "An endpoint's current signing secret", TAG))
    .input(z.object({ id: endpointId }).strict())
    .output(secretAnswer)
    .query(({ ctx, input }) => webhooks.endpointSecret(ctx, input.id)),

  updateEndpoint: merchantProcedure
    .meta(rest('POST', '/api/v1/webhook-endpoints/{id}', 'Change, enable or disable an endpoint', TAG))
    .input(
      z
        .object({
          id: endpointId,
          url: webhookUrl.optional(),
          eventTypes: eventTypes.optional(),
          description: freeText(200).optional(),
          enabled: z.boolean().optional(),
        })
        .strict(),
    )
    .output(endpoint)
    .mutation(({ ctx, input }) => webhooks.updateEndpoint(ctx, input)),

  rotateSecret: merchantProcedure
    .meta(
      rest('POST', '/api/v1/webhook-endpoints/{id}/rotate-secret', "Replace an endpoint's signing secret", {
        ...TAG,
        description:
          'The new secret is shown only in this answer. The replaced one keeps signing beside it until previousSecretExpiresAt ' +
          '(WEBHOOK_SECRET_ROTATION_OVERLAP, default 24 h); rotating again within that time drops the older one at once.',
      }),
    )
    .input(z.object({ id: endpointId, idempotencyKey }).strict())
    .output(endpointWithSecret)
    .mutation(({ ctx, input }) => idempotent(ctx, 'rotateSecret', input, () => webhooks.rotateEndpointSecret(ctx, input.id))),

  rotateDefaultSecret: merchantProcedure
    .meta(
      rest('POST', '/api/v1/webhook-secret/rotate', "Replace the secret that signs payments' own webhookUrl deliveries", {
        ...TAG,
        description:
          'The new secret is shown in this answer. The replaced one keeps signing beside it until previousSecretExpiresAt ' +
          '(WEBHOOK_SECRET_ROTATION_OVERLAP, default 24 h); rotating again within that time drops the older one at once.',
      }),
    )
    .output(secretAnswer)
    .mutation(({ ctx }) => webhooks.rotateDefaultWebhookSecret(ctx)),

  defaultSecret: merchantProcedure
    .meta(rest('GET', '/api/v1/webhook-secret', "The secret that signs payments' own webhookUrl deliveries", TAG))
    .output(secretAnswer)
    .query(({ ctx }) => webhooks.defaultWebhookSecret(ctx)),

  sendTest: merchantProcedure
    .meta(rest('POST', '/api/v1/webhook-endpoints/{id}/test', 'Send a test event to an endpoint', TAG))
    .input(z.object({ id: endpointId, idempotencyKey }).strict())
    .output(z.object({ messageId: z.string() }))
    .mutation(({ ctx, input }) => idempotent(ctx, 'sendTest', input, () => webhooks.sendTestEvent(ctx, input.id))),

  replayFailed: merchantProcedure
    .meta(rest('POST', '/api/v1/webhook-endpoints/{id}/replay', 'Send again every failed message of an endpoint since a time', TAG))
    .input(z.object({ id: endpointId, since: dateTime, idempotencyKey }).strict())
    .output(z.object({ replayed: z.number().int() }))
    .mutation(({ ctx, input }) => idempotent(ctx, 'replayFailed', input, () => webhooks.replayFailed(ctx, input.id, input.since))),

  listMessages: merchantProcedure
    .meta(rest('GET', '/api/v1/webhook-messages', 'List webhook messages of a payment or an endpoint', TAG))
    .input(
      z
        .object({
          paymentId: paymentId.optional(),
          endpointId: endpointId.optional(),
          status: webhookDeliveryStatus.optional(),
          limit: z.number().int().min(1).max(100).default(50),
        })
        .strict()
        .prefault({}),
    )
    .output(z.array(message))
    .query(({ ctx, input }) => webhooks.listMessages(ctx, input)),

  listAttempts: merchantProcedure
    .meta(rest('GET', '/api/v1/webhook-messages/{id}/attempts', "A message's delivery attempts", TAG))
    .input(z.object({ id: messageId }).strict())
    .output(
      z.array(
        z.object({
          attemptedAt: z.string(),
          statusCode: z.number().int().nullable(),
          latencyMs: z.number().int(),
          responseExcerpt: z.string().nullable(),
          error: z.string().nullable(),
        }),
      ),
    )
    .query(({ ctx, input }) => webhooks.listAttempts(ctx, input.id)),

  redeliver: merchantProcedure
    .meta(rest('POST', '/api/v1/webhook-messages/{id}/redeliver', 'Deliver a message again', TAG))
    .input(z.object({ id: messageId, idempotencyKey }).strict())
    .output(message)
    .mutation(({ ctx, input }) => idempotent(ctx, 'redeliver', input, () => webhooks.redeliverMessage(ctx, input.id))),

  notices: merchantProcedure
    .meta(rest('GET', '/api/v1/webhook-notices', 'Dead-lettered messages, disabled endpoints and payments the read model refused', TAG))
    .input(
      z
        .object({ limit: z.number().int().min(1).max(100).default(50) })
        .strict()
        .prefault({}),
    )
    .output(
      z.array(
        z.object({
          type: noticeType,
          endpointId: z.string().nullable(),
          messageId: z.string().nullable(),
          detail: z.string(),
          createdAt: z.string(),
        }),
      ),
    )
    .query(({ ctx, input }) => webhooks.listNotices(ctx, input.limit)),
});
