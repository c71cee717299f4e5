import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(extra: { TEMPORAL_API_KEY?: string } = {}) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'test', ...extra }, stream), lines };
}

describe('log redaction', () => {
  it('removes API keys and signing secrets by their form, in any field and inside text', () => {
    const { logger, lines } = capture();
    const key = 'sk_zR229tq_rtrPjboyDOuGCLLC3U1ycHQTuyvGaGmAZVg';
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    logger.error(
      { err: new Error(`insert into webhook_endpoints values ($1) -- params: ${secret}`), detail: { nested: key } },
      `failed for ${key}`,
    );
    const text = lines.join('');
    expect(text).not.toContain(key);
    expect(text).not.toContain(secret);
    expect(text).toContain('whsec_[redacted]');
    expect(text).toContain('sk_[redacted]');
  });

  it('removes connector credentials by their field names, whatever their form, and restricted keys by their form', () => {
    const { logger, lines } = capture();
    const unrecognisable = 'plain-secret-without-a-known-prefix';
    const restricted = 'rk_test_51Hrestrictedkey0000';
    logger.info({ input: { kind: 'stripe', credentials: { secretKey: unrecognisable } }, secretKey: unrecognisable }, 'connector');
    logger.info({ row: { sealedCredentials: unrecognisable } }, `created with ${restricted}`);
    const text = lines.join('');
    expect(text).not.toContain(unrecognisable);
    expect(text).not.toContain(restricted);
    expect(text).toContain('stripe');
  });

  it('leaves ordinary values alone (negative control: the pattern is not a blanket filter)', () => {
    const { logger, lines } = capture();
    logger.info({ paymentId: 'pay_01ARZ3NDEKTSV4RRFFQ69G5FAV', task: 'desk_lamp' }, 'payment created');
    expect(lines.join('')).toContain('pay_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(lines.join('')).toContain('desk_lamp');
  });

  it('removes the configured Temporal API key by its value wherever it appears, and by its field names', () => {
    // Shaped like a Temporal Cloud key (a JWT): nothing about its form marks it as a secret.
    const apiKey = 'eyJhbGciOiJFUzI1NiJ9.eyJhY2NvdW50X2lkIjoiYWJjIn0.c2lnbmF0dXJlLXBhcnQ';
    const { logger, lines } = capture({ TEMPORAL_API_KEY: apiKey });
    logger.error({ err: new Error(`unauthorized: Bearer ${apiKey}`), settings: { temporal: { apiKey } } }, `connect with ${apiKey}`);
    logger.info({ config: { TEMPORAL_API_KEY: apiKey }, TEMPORAL_API_KEY: apiKey }, 'config');
    const text = lines.join('');
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain(apiKey.slice(0, 20));
    expect(text).toContain('Bearer [redacted]');
  });

  it('leaves the key in the output of a logger not told it (negative control: the value itself is what is removed)', () => {
    const apiKey = 'eyJhbGciOiJFUzI1NiJ9.eyJhY2NvdW50X2lkIjoiYWJjIn0.c2lnbmF0dXJlLXBhcnQ';
    const { logger, lines } = capture();
    logger.error(`connect with ${apiKey}`);
    expect(lines.join('')).toContain(apiKey);
  });
});
