import { ApplicationFailure, Context } from '@temporalio/activity';
import { webhookAttempts as webhookAttemptsTotal, webhookDeadLetters, webhookDeliveryLatency } from '../../common/metrics.js';
import type { WebhookDeliveryOutcome } from '../../common/workflow-api.js';
import type { Database } from '../../db/client.js';
import {
  disableEndpoint,
  loadMessage,
  markEndpointFailing,
  markEndpointHealthy,
  merchantSecret,
  noteDeadLetter,
  recordAttempt,
  settleMessage,
  settledOutcome,
  type Endpoint,
  type LoadedMessage,
} from './webhook-records.js';
import { attemptOutcome, classifyAttempt, nextRetry, type AttemptVerdict } from './webhook-response.js';
import { sendSigned } from './webhook-send.js';
import { signingSecrets } from '../../common/webhook-secret.js';

export { guardedWebhookFetch } from './webhook-send.js';

export interface WebhookDeliveryConfig {
  /** Delay before each attempt (ms); its length is the number of attempts. */
  schedule: number[];
  timeoutMs: number;
  disableAfterMs: number;
}

interface Deps {
  db: Database;
  fetch: typeof fetch;
  config: WebhookDeliveryConfig;
}

type Message = LoadedMessage['message'];
type Failure = Extract<AttemptVerdict, { kind: 'gone' | 'failed' }>;

/**
 * One attempt at one message, run as an activity whose retries follow the configured schedule
 * (through `nextRetryDelay`). Every attempt is recorded. 2xx delivers; 410 Gone disables the
 * endpoint at once; anything else is retried until the schedule is exhausted, and the message is
 * then dead-lettered (`failed`). The outcome is returned, never thrown, once it is final.
 */
export async function deliverWebhookMessage(
  deps: Deps,
  messageId: string,
  { once = false, after }: { once?: boolean; after?: number } = {},
): Promise<WebhookDeliveryOutcome> {
  const { attempt: number } = Context.current().info;
  // `after`: the capture made the first attempt and it failed; this activity's first execution only
  // waits the schedule's next delay, so its attempt numbers are the message's, as if it had made them all.
  if (after !== undefined && number === 1) {
    throw ApplicationFailure.create({
      message: `the first attempt failed; the next follows in ${after} ms`,
      type: 'WebhookAttemptPaced',
      nextRetryDelay: after,
    });
  }
  const attempt = await attemptDelivery(deps, messageId, once);
  if ('outcome' in attempt) return attempt.outcome;
  const next = await nextOrDeadLetter(deps, attempt.message, attempt.failure, number);
  if ('outcome' in next) return next.outcome;
  // Temporal waits `nextRetryDelay` before the next attempt.
  throw ApplicationFailure.create({ message: attempt.failure.error, type: 'WebhookAttemptFailed', nextRetryDelay: next.retryInMs });
}

/**
 * The first attempt at a message, made at once by the activity whose write queued it (the capture,
 * for the payment's own webhook), so the receiver hears without waiting for a workflow task and a
 * dispatch. Its outcome when final; the wait before the next attempt when it failed (for the
 * delivery activity's `after`); undefined when anything of ours failed, so the delivery activity
 * takes the message over from the start. Never throws: the work that queued the message is done.
 * Like `once`, a message already settled answers its outcome unsent.
 */
export async function firstWebhookAttempt(
  deps: Deps,
  messageId: string,
): Promise<{ outcome: WebhookDeliveryOutcome } | { retryInMs: number } | undefined> {
  try {
    const attempt = await attemptDelivery(deps, messageId, true);
    return 'outcome' in attempt ? attempt : await nextOrDeadLetter(deps, attempt.message, attempt.failure, 1);
  } catch (err) {
    Context.current().log.warn('webhook left to its delivery activity', { messageId, error: String(err) });
    return undefined;
  }
}

/** One attempt: the outcome when it is final, or the failure the schedule decides about. */
async function attemptDelivery(
  deps: Deps,
  messageId: string,
  once: boolean,
): Promise<{ outcome: WebhookDeliveryOutcome } | { message: Message; failure: Failure }> {
  const { db, config } = deps;
  const { message, endpoint, defaultSecret } = await loadMessage(db, messageId);
  const final = async (outcome: Promise<WebhookDeliveryOutcome>) => ({ outcome: await outcome });
  // `once`: a retry of an attempt that settled the message (and then died) answers what it settled.
  if (once && message.status !== 'pending') return final(settledOutcome(db, message));
  // A deleted endpoint's messages are kept for audit but never sent (nor signed with the default secret).
  if (message.endpointId && !endpoint) return final(settleMessage(db, message.id, false, null, 'endpoint deleted'));
  if (endpoint && !endpoint.enabled) {
    return final(settleMessage(db, message.id, false, null, `endpoint disabled: ${endpoint.disabledReason ?? 'by the merchant'}`));
  }
  const secrets = endpoint
    ? signingSecrets(endpoint, new Date())
    : defaultSecret?.secret
      ? signingSecrets({ ...defaultSecret, secret: defaultSecret.secret }, new Date())
      : [await merchantSecret(db, message.merchantId)];
  const started = performance.now();
  const { result, excerpt } = await sendSigned(deps.fetch, message, secrets, config.timeoutMs);
  const verdict = classifyAttempt(result, { timeoutMs: config.timeoutMs, now: Date.now() });

  if (verdict.kind === 'refused') {
    // Final for this URL now, so no retry; a redeliver tries again once DNS or the allowlist changed.
    webhookAttemptsTotal.inc({ outcome: 'refused' });
    await recordAttempt(db, message.id, started, { statusCode: null, error: `refused: ${message.url} ${verdict.problem}` });
    return final(settleMessage(db, message.id, false, null, `refused: ${verdict.problem}`));
  }
  const error = verdict.kind === 'delivered' ? null : verdict.error;
  await recordAttempt(db, message.id, started, { statusCode: verdict.statusCode, error, excerpt });
  const { cancellationSignal } = Context.current();
  // Cancelled (the worker stops): Temporal retries the attempt elsewhere, outside the schedule.
  if (cancellationSignal.aborted) throw cancellationSignal.reason;
  webhookAttemptsTotal.inc({ outcome: attemptOutcome(verdict) });

  if (verdict.kind === 'delivered') return final(delivered(db, message, endpoint, verdict.statusCode));
  const disabled = await endpointGivenUp(deps, message, endpoint, verdict);
  return disabled ? { outcome: disabled } : { message, failure: verdict };
}

async function delivered(db: Database, message: Message, endpoint: Endpoint | null, statusCode: number): Promise<WebhookDeliveryOutcome> {
  webhookDeliveryLatency.observe(Math.max(0, Date.now() - message.createdAt.getTime()) / 1000);
  if (endpoint?.failingSince) await markEndpointHealthy(db, endpoint.id);
  return settleMessage(db, message.id, true, statusCode, null);
}

/** An endpoint that answered 410 Gone, or failed every attempt for too long, is disabled: the message's outcome is final. */
async function endpointGivenUp(
  deps: Deps,
  message: Message,
  endpoint: Endpoint | null,
  failure: Failure,
): Promise<WebhookDeliveryOutcome | undefined> {
  if (!endpoint) return undefined;
  const { db, config } = deps;
  let reason: string | undefined;
  if (failure.kind === 'gone') {
    reason = 'the receiver answered 410 Gone';
  } else {
    const failingSince = await markEndpointFailing(db, endpoint.id);
    if (failingSince && Date.now() - failingSince.getTime() >= config.disableAfterMs)
      reason = `every attempt failed since ${failingSince.toISOString()}`;
  }
  if (reason === undefined) return undefined;
  await disableEndpoint(db, endpoint.id, message.merchantId, reason, message.eventType);
  return settleMessage(db, message.id, false, failure.statusCode, failure.error);
}

/** After failed attempt number `attempt`: the wait before the next along the schedule, or, once it is exhausted, the message dead-lettered. */
async function nextOrDeadLetter(
  deps: Deps,
  message: Message,
  failure: Failure,
  attempt: number,
): Promise<{ retryInMs: number } | { outcome: WebhookDeliveryOutcome }> {
  const next = nextRetry(attempt, deps.config.schedule, failure.retryAfterMs);
  if (next !== 'give-up') return next;
  webhookDeadLetters.inc();
  Context.current().log.warn('webhook message dead-lettered', {
    messageId: message.id,
    paymentId: message.paymentId,
    url: message.url,
    error: failure.error,
  });
  await noteDeadLetter(deps.db, message, attempt, failure.error);
  return { outcome: await settleMessage(deps.db, message.id, false, failure.statusCode, failure.error) };
}
