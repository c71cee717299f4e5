import { describe, expect, it } from 'vitest';
import { WebhookAddressRefusedError } from '../../common/url-guard.js';
import { MAX_RETRY_AFTER_MS, attemptOutcome, classifyAttempt, nextRetry, parseRetryAfter, type AttemptResult } from './webhook-response.js';

const now = Date.UTC(2026, 0, 1, 12, 0, 0);
const options = { timeoutMs: 10_000, now };
const answered = (status: number, retryAfter: string | null = null): AttemptResult => ({ response: { status, retryAfter } });
const threw = (error: unknown, interrupted = false): AttemptResult => ({ error, interrupted });

describe('classifyAttempt: the receiver answered', () => {
  it.each([200, 201, 202, 204, 299])('%i delivers', (status) => {
    expect(classifyAttempt(answered(status), options)).toEqual({ kind: 'delivered', statusCode: status });
  });

  it('ignores Retry-After on a 2xx', () => {
    expect(classifyAttempt(answered(200, '120'), options)).toEqual({ kind: 'delivered', statusCode: 200 });
  });

  it.each([300, 301, 302, 307, 308])('%i fails and is retried: redirects are not followed', (status) => {
    expect(classifyAttempt(answered(status), options)).toEqual({
      kind: 'failed',
      statusCode: status,
      error: `receiver answered HTTP ${status}`,
    });
  });

  it.each([400, 401, 403, 404, 408, 409, 413, 425, 429])('%i fails and is retried: receivers get fixed', (status) => {
    expect(classifyAttempt(answered(status), options)).toEqual({
      kind: 'failed',
      statusCode: status,
      error: `receiver answered HTTP ${status}`,
    });
  });

  it('410 Gone asks for the endpoint to be disabled', () => {
    expect(classifyAttempt(answered(410), options)).toEqual({ kind: 'gone', statusCode: 410, error: 'receiver answered HTTP 410' });
  });

  it.each([500, 502, 503, 504])('%i fails and is retried', (status) => {
    expect(classifyAttempt(answered(status), options)).toEqual({
      kind: 'failed',
      statusCode: status,
      error: `receiver answered HTTP ${status}`,
    });
  });

  it('429 and 503 carry their Retry-After, in seconds or as an HTTP date', () => {
    expect(classifyAttempt(answered(429, '120'), options)).toMatchObject({ kind: 'failed', statusCode: 429, retryAfterMs: 120_000 });
    expect(classifyAttempt(answered(503, 'Thu, 01 Jan 2026 12:01:30 GMT'), options)).toMatchObject({
      kind: 'failed',
      statusCode: 503,
      retryAfterMs: 90_000,
    });
  });

  it('a malformed Retry-After is ignored, not fatal', () => {
    const verdict = classifyAttempt(answered(429, 'soon'), options);
    expect(verdict).toEqual({ kind: 'failed', statusCode: 429, error: 'receiver answered HTTP 429' });
  });
});

describe('classifyAttempt: the request failed', () => {
  it('a network error is retried with its cause', () => {
    const error = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 203.0.113.7:443') });
    expect(classifyAttempt(threw(error), options)).toEqual({
      kind: 'failed',
      statusCode: null,
      error: 'network error: Error: connect ECONNREFUSED 203.0.113.7:443',
    });
  });

  it('an error without a cause is reported as itself', () => {
    expect(classifyAttempt(threw(new Error('socket hang up')), options)).toEqual({
      kind: 'failed',
      statusCode: null,
      error: 'network error: Error: socket hang up',
    });
    expect(classifyAttempt(threw(null), options)).toEqual({ kind: 'failed', statusCode: null, error: 'network error: null' });
  });

  it('a timeout names the limit', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyAttempt(threw(timeout), options)).toEqual({ kind: 'failed', statusCode: null, error: 'no answer within 10000 ms' });
  });

  it('a cancelled activity says another attempt follows', () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    expect(classifyAttempt(threw(abort, true), options)).toMatchObject({
      kind: 'failed',
      statusCode: null,
      error: 'interrupted: the worker is stopping; another attempt follows',
    });
  });

  it('a refusal by the SSRF guard is final, however deep fetch wrapped it', () => {
    const refusal = new WebhookAddressRefusedError('10.0.0.5', 'is a private address');
    expect(classifyAttempt(threw(new TypeError('fetch failed', { cause: refusal })), options)).toEqual({
      kind: 'refused',
      problem: 'is a private address',
    });
    expect(classifyAttempt(threw(refusal), options)).toEqual({ kind: 'refused', problem: 'is a private address' });
    // Even while the worker stops: the address stays refused.
    expect(classifyAttempt(threw(refusal, true), options)).toEqual({ kind: 'refused', problem: 'is a private address' });
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['1', 1_000],
    ['86400', 86_400_000],
    ['Thu, 01 Jan 2026 12:00:05 GMT', 5_000],
    // An HTTP date in the past means now.
    ['Wed, 31 Dec 2025 23:59:59 GMT', 0],
  ])('%s → %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([[null], [''], ['soon'], ['next tuesday-ish'], ['Thu, 99 Foo 2026 GMT']])('%s is unreadable', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('nextRetry', () => {
  const schedule = [0, 5_000, 300_000];

  it('follows the schedule: attempt n waits schedule[n]', () => {
    expect(nextRetry(1, schedule, undefined)).toEqual({ retryInMs: 5_000 });
    expect(nextRetry(2, schedule, undefined)).toEqual({ retryInMs: 300_000 });
  });

  it("takes the receiver's Retry-After when it is longer, capped at a day", () => {
    expect(nextRetry(1, schedule, 60_000)).toEqual({ retryInMs: 60_000 });
    expect(nextRetry(1, schedule, 1_000)).toEqual({ retryInMs: 5_000 });
    expect(nextRetry(1, schedule, 3 * MAX_RETRY_AFTER_MS)).toEqual({ retryInMs: MAX_RETRY_AFTER_MS });
  });

  it('gives up once every scheduled attempt was made, Retry-After or not', () => {
    expect(nextRetry(3, schedule, undefined)).toBe('give-up');
    expect(nextRetry(3, schedule, 1_000)).toBe('give-up');
    expect(nextRetry(1, [0], undefined)).toBe('give-up');
  });
});

describe('attemptOutcome', () => {
  it('labels every verdict', () => {
    expect(attemptOutcome({ kind: 'delivered', statusCode: 200 })).toBe('delivered');
    expect(attemptOutcome({ kind: 'refused', problem: 'x' })).toBe('refused');
    expect(attemptOutcome({ kind: 'gone', statusCode: 410, error: 'x' })).toBe('http_error');
    expect(attemptOutcome({ kind: 'failed', statusCode: 500, error: 'x' })).toBe('http_error');
    expect(attemptOutcome({ kind: 'failed', statusCode: null, error: 'x' })).toBe('network_error');
  });
});
