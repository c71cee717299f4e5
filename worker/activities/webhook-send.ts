import { Context } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import { fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { createGuardedAgent, type AllowedRanges, type ResolveHost } from '../../common/url-guard.js';
import type { AttemptResult } from './webhook-response.js';

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

/**
 * One signed POST of a message (Standard Webhooks headers, the same `webhook-id` on every
 * attempt), with one `v1,` signature per secret (during a rotation's overlap: the new and the old). Never throws: what the receiver answered, or the error that ended the request.
 */
export async function sendSigned(
  fetchImpl: typeof fetch,
  message: { id: string; url: string; payload: unknown },
  secrets: readonly string[],
  timeoutMs: number,
): Promise<{ result: AttemptResult; excerpt: string | null }> {
  const body = JSON.stringify(message.payload);
  const sentAt = new Date();
  const activity = Context.current();
  // Heartbeats let Temporal notice a dead worker within its heartbeat timeout instead of the
  // start-to-close timeout; a cancellation (the worker stopping) ends the request at once.
  const beating = setInterval(() => activity.heartbeat(), 2_000);
  try {
    const response = await fetchImpl(message.url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'temporal-payments-webhooks/1',
        'webhook-id': message.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(message.id, sentAt, body)).join(' '),
      },
      body,
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), activity.cancellationSignal]),
    });
    const excerpt = await readExcerpt(response);
    return { result: { response: { status: response.status, retryAfter: response.headers.get('retry-after') } }, excerpt };
  } catch (error) {
    return { result: { error, interrupted: activity.cancellationSignal.aborted }, excerpt: null };
  } finally {
    clearInterval(beating);
  }
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
