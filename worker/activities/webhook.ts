import { ApplicationFailure, Context } from '@temporalio/activity';

export interface WebhookRequest {
  url: string;
  /** Stable across retries so receivers can drop duplicates. */
  messageId: string;
  payload: Record<string, unknown>;
  timeoutMs: number;
}

export interface WebhookOutcome {
  statusCode: number;
  attempt: number;
  latencyMs: number;
}

/**
 * One delivery attempt. 2xx succeeds; 410 Gone stops the retries (the receiver says it is gone for
 * good); everything else, including redirects (never followed) and network errors, is retried by
 * the activity's retry policy.
 */
export async function deliverWebhookOnce(fetchImpl: typeof fetch, request: WebhookRequest): Promise<WebhookOutcome> {
  const attempt = Context.current().info.attempt;
  const started = performance.now();
  let response: Response;
  try {
    response = await fetchImpl(request.url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'temporal-payments-webhooks/1',
        'webhook-id': request.messageId,
      },
      body: JSON.stringify(request.payload),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    // The body is not needed; release the connection.
    await response.body?.cancel();
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${request.timeoutMs} ms` : String((err as Error).cause ?? err);
    throw ApplicationFailure.retryable(`webhook to ${request.url} failed: ${reason}`, 'WebhookNetworkError');
  }
  const latencyMs = Math.round(performance.now() - started);
  if (response.status >= 200 && response.status < 300) return { statusCode: response.status, attempt, latencyMs };
  const message = `webhook receiver answered HTTP ${response.status}`;
  if (response.status === 410) throw ApplicationFailure.nonRetryable(message, 'WebhookGone');
  throw ApplicationFailure.retryable(message, 'WebhookHttpError');
}
