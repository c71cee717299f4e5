import { addressRefusal } from '../../common/url-guard.js';

/** What one attempt came back with: the receiver's answer, or the error that ended the request. */
export type AttemptResult =
  | { response: { status: number; retryAfter: string | null } }
  /** `interrupted`: the activity was cancelled (the worker is stopping) while the request ran. */
  | { error: unknown; interrupted: boolean };

/** What an attempt means for the message, before the schedule and the endpoint's health are consulted. */
export type AttemptVerdict =
  | { kind: 'delivered'; statusCode: number }
  /** The SSRF guard refused the address: final for this URL now; a redeliver tries again later. */
  | { kind: 'refused'; problem: string }
  /** 410 Gone: the receiver asks to be forgotten, so its endpoint is disabled. */
  | { kind: 'gone'; statusCode: 410; error: string; retryAfterMs?: number }
  /** Anything else: receivers get fixed, so it is retried along the schedule. */
  | { kind: 'failed'; statusCode: number | null; error: string; retryAfterMs?: number };

/** Longest Retry-After honoured, so a receiver cannot park a message for ever. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Classifies one attempt. Pure: `now` is when the answer arrived (for Retry-After dates). */
export function classifyAttempt(result: AttemptResult, { timeoutMs, now }: { timeoutMs: number; now: number }): AttemptVerdict {
  if ('response' in result) {
    const { status, retryAfter } = result.response;
    if (status >= 200 && status < 300) return { kind: 'delivered', statusCode: status };
    // Redirects are not followed (a receiver cannot bounce us to an internal address): a 3xx is a failure too.
    const error = `receiver answered HTTP ${status}`;
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    const hint = retryAfterMs === undefined ? {} : { retryAfterMs };
    return status === 410 ? { kind: 'gone', statusCode: 410, error, ...hint } : { kind: 'failed', statusCode: status, error, ...hint };
  }
  const refused = addressRefusal(result.error);
  if (refused) return { kind: 'refused', problem: refused.problem };
  return { kind: 'failed', statusCode: null, error: requestError(result.error, result.interrupted, timeoutMs) };
}

function requestError(err: unknown, interrupted: boolean, timeoutMs: number): string {
  if (interrupted) return 'interrupted: the worker is stopping; another attempt follows';
  const e = err as { name?: unknown; cause?: unknown } | null | undefined;
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return `network error: ${String(e?.cause ?? err)}`;
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable, 0 when past. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * After a failed attempt number `attempt` (1-based): wait the schedule's next delay, or the
 * receiver's Retry-After when longer (capped), or give up once the schedule is exhausted.
 */
export function nextRetry(
  attempt: number,
  schedule: readonly number[],
  retryAfterMs: number | undefined,
): { retryInMs: number } | 'give-up' {
  if (attempt >= schedule.length) return 'give-up';
  return { retryInMs: Math.max(schedule[attempt] ?? 0, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)) };
}

/** The attempts metric's outcome label. */
export function attemptOutcome(verdict: AttemptVerdict): 'delivered' | 'refused' | 'network_error' | 'http_error' {
  if (verdict.kind === 'delivered' || verdict.kind === 'refused') return verdict.kind;
  return verdict.statusCode === null ? 'network_error' : 'http_error';
}
