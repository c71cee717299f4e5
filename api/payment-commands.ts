import { createHash } from 'node:crypto';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type WorkflowHandle,
} from '@temporalio/client';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { CreatePaymentRequest, PaymentView } from '../common/payment.js';
import { errorChain } from '../common/error-chain.js';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../common/payment-id.js';
import {
  INVALID_AMENDMENT_ERROR,
  NOT_AMENDABLE_ERROR,
  NOT_PENDING_ERROR,
  PAYMENT_WORKFLOW_TYPE,
  cancelUpdate,
  initialSnapshot,
  paymentWorkflowId,
  processNowUpdate,
  type PaymentFields,
} from '../common/workflow-api.js';
import { paymentRow, projectPaymentState } from '../db/projection.js';
import { paymentsCreated } from '../common/metrics.js';
import { idempotencyKeys, paymentMethods } from '../db/schema.js';
import type { paymentWorkflow } from '../worker/workflows/index.js';
import { getPaymentOrThrow, toPaymentView } from './payment-store.js';
import { TRPCError, type MerchantContext } from './trpc.js';
import { assertPublicWebhookUrl } from './webhook-commands.js';

/** Mutations: each one goes to Temporal; Postgres gets only what read-your-writes needs. */

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export async function createPayment(
  ctx: MerchantContext,
  request: CreatePaymentRequest,
  options: Pick<PaymentFields, 'notifyOwnWebhook'> & { webhookUrlField?: string } = {},
): Promise<PaymentView> {
  const { idempotencyKey: inputKey, ...body } = request;
  const idempotencyKey = inputKey ?? ctx.idempotencyKey;
  if (idempotencyKey !== undefined && idempotencyKey.length > 255) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'Idempotency-Key: must be at most 255 characters' });
  }
  if (body.paymentMethodId) await assertOwnPaymentMethod(ctx, body.paymentMethodId);
  if (body.webhookUrl) await assertPublicWebhookUrl(ctx, options.webhookUrlField ?? 'webhookUrl', body.webhookUrl);
  const paymentId = idempotencyKey ? await claimIdempotencyKey(ctx, idempotencyKey, body) : newPaymentId();
  const fields: PaymentFields = {
    paymentId,
    merchantId: ctx.merchantId,
    paymentMethodId: body.paymentMethodId ?? null,
    reference: paymentReference(paymentId),
    amount: body.amount,
    currency: body.currency,
    delaySeconds: body.delaySeconds,
    webhookUrl: body.webhookUrl ?? null,
    data: body.data,
    metadata: body.metadata,
    description: body.description ?? null,
    ...(options.notifyOwnWebhook ? { notifyOwnWebhook: options.notifyOwnWebhook } : {}),
    // The window travels with the payment, so a config change never moves a running payment's timer.
    ...(body.captureMethod === 'manual'
      ? { captureMethod: 'manual' as const, captureWindowSeconds: Math.max(1, Math.ceil(ctx.config.CAPTURE_WINDOW / 1000)) }
      : {}),
    createdAt: paymentCreatedAt(paymentId),
  };

  let runId: string;
  let retried = false;
  try {
    // Bounded: an unreachable engine is a 503 within the deadline, not a request retried for 20 s.
    // A start that landed anyway is found again by an idempotent retry, and writes its own row.
    const handle = await ctx.temporal.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
      ctx.temporal.workflow.start<typeof paymentWorkflow>(PAYMENT_WORKFLOW_TYPE, {
        workflowId: paymentWorkflowId(paymentId),
        taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
        args: [fields],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }),
    );
    runId = handle.firstExecutionRunId;
    paymentsCreated.inc();
    ctx.log.info({ paymentId, workflowId: handle.workflowId, runId, amount: fields.amount, currency: fields.currency }, 'payment created');
  } catch (err) {
    // Only an idempotent retry reuses an id: the first attempt already started the workflow.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    retried = true;
    const description = await ctx.temporal.workflow.getHandle<typeof paymentWorkflow>(paymentWorkflowId(paymentId)).describe();
    runId = description.runId;
  }
  // Same first state the workflow writes: whichever lands first wins, so `get` finds it at once.
  const snapshot = initialSnapshot(fields, runId);
  await projectPaymentState(ctx.db, snapshot, { type: 'payment.created', details: {} });
  // A retry answers with the payment as it is now; a new payment is what was just written.
  return toPaymentView(retried ? await getPaymentOrThrow(ctx.db, ctx.merchantId, paymentId) : paymentRow(snapshot));
}

/**
 * Maps an Idempotency-Key to one payment id. The unique key makes concurrent duplicates race
 * safely: one insert wins, the others read its id. Reusing a key for a different body is refused.
 */
async function claimIdempotencyKey(ctx: MerchantContext, key: string, body: object): Promise<string> {
  const requestHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
  const now = new Date();
  // An expired key is free again.
  await ctx.db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, ctx.merchantId), eq(idempotencyKeys.key, key), lt(idempotencyKeys.expiresAt, now)));
  const [claimed] = await ctx.db
    .insert(idempotencyKeys)
    .values({
      scope: ctx.merchantId,
      key,
      requestHash,
      paymentId: newPaymentId(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
    })
    .onConflictDoUpdate({
      // A no-op update so RETURNING yields the row that holds the key, whoever inserted it.
      target: [idempotencyKeys.scope, idempotencyKeys.key],
      set: { scope: sql`${idempotencyKeys.scope}` },
    })
    .returning({ paymentId: idempotencyKeys.paymentId, requestHash: idempotencyKeys.requestHash });
  if (claimed!.requestHash !== requestHash) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `Idempotency-Key "${key}" was already used with a different request body; use a new key for a new payment`,
    });
  }
  return claimed!.paymentId;
}

/** JSON with sorted keys, so the same body hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function cancelPayment(ctx: MerchantContext, id: string, reason?: string): Promise<PaymentView> {
  const row = await getPaymentOrThrow(ctx.db, ctx.merchantId, id);
  if (row.status === 'canceled') return toPaymentView(row);
  // Awaiting capture, a cancel voids the authorization.
  if (row.status !== 'pending' && row.status !== 'requires_capture') throw notPending(row.status, 'canceled');
  await sendUpdate(ctx, id, 'canceled', (handle) => handle.executeUpdate(cancelUpdate, { args: [{ reason }] }));
  return toPaymentView(await getPaymentOrThrow(ctx.db, ctx.merchantId, id));
}

export async function processPaymentNow(ctx: MerchantContext, id: string): Promise<PaymentView> {
  const row = await getPaymentOrThrow(ctx.db, ctx.merchantId, id);
  if (row.status !== 'pending') throw notPending(row.status, 'processed early');
  await sendUpdate(ctx, id, 'processed early', (handle) => handle.executeUpdate(processNowUpdate));
  return toPaymentView(await getPaymentOrThrow(ctx.db, ctx.merchantId, id));
}

export type Handle = WorkflowHandle<typeof paymentWorkflow>;

/** A call to Temporal inside a request answers within this (an update that does not is a 504). */
export const TEMPORAL_DEADLINE_MS = 10_000;

export async function sendUpdate(ctx: MerchantContext, id: string, action: string, send: (handle: Handle) => Promise<unknown>) {
  try {
    const handle = ctx.temporal.workflow.getHandle<typeof paymentWorkflow>(paymentWorkflowId(id));
    await ctx.temporal.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => send(handle));
  } catch (err) {
    if (isDeadlineExceeded(err)) {
      throw new TRPCError({
        code: 'GATEWAY_TIMEOUT',
        message: `the payment's workflow did not answer within ${TEMPORAL_DEADLINE_MS / 1000} s; whether it was ${action} is unknown: read the payment again`,
        cause: err,
      });
    }
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === NOT_PENDING_ERROR) {
      throw new TRPCError({ code: 'CONFLICT', message: err.cause.message, cause: err });
    }
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === NOT_AMENDABLE_ERROR) {
      throw new TRPCError({ code: 'CONFLICT', message: err.cause.message, cause: err });
    }
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === INVALID_AMENDMENT_ERROR) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: err.cause.message, cause: err });
    }
    if (err instanceof WorkflowNotFoundError) {
      // The workflow already finished; the projection tells in which state.
      const row = await getPaymentOrThrow(ctx.db, ctx.merchantId, id);
      throw notPending(row.status, action);
    }
    throw err;
  }
}

export function isDeadlineExceeded(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  for (const e of errorChain(err)) {
    // gRPC status 4: DEADLINE_EXCEEDED.
    if (
      (e as { code?: unknown }).code === 4 ||
      /DEADLINE_EXCEEDED|deadline exceeded/i.test(String((e as { message?: unknown }).message ?? ''))
    )
      return true;
  }
  return false;
}

function notPending(status: string, action: string): TRPCError {
  return new TRPCError({ code: 'CONFLICT', message: `payment is ${status}; only a pending payment can be ${action}` });
}

/** A payment may only use the merchant's own stored method; anything else is refused as unknown. */
async function assertOwnPaymentMethod(ctx: MerchantContext, paymentMethodId: string): Promise<void> {
  const [method] = await ctx.db
    .select({ id: paymentMethods.id })
    .from(paymentMethods)
    .where(and(eq(paymentMethods.id, paymentMethodId), eq(paymentMethods.merchantId, ctx.merchantId)))
    .limit(1);
  if (!method) {
    throw new TRPCError({
      code: 'UNPROCESSABLE_CONTENT',
      message: `paymentMethodId: no payment method ${paymentMethodId} on this account`,
    });
  }
}
