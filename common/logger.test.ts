import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'test' }, stream), lines };
}

describe('log redaction', () => {
  it('removes API keys and signing secrets by their form, in any field and inside text', () => {
    const { logger, lines } = capture();
    const key = 'sk_zR229tq_rtrPjboyDOuGCLLC3U1ycHQTuyvGaGmAZVg';
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    logger.error({ err: new Error(`insert into webhook_endpoints values ($1) -- params: ${secret}`), detail: { nested: key } }, `failed for ${key}`);
    const text = lines.join('');
    expect(text).not.toContain(key);
    expect(text).not.toContain(secret);
    expect(text).toContain('whsec_[redacted]');
    expect(text).toContain('sk_[redacted]');
  });

  it('leaves ordinary values alone (negative control: the pattern is not a blanket filter)', () => {
    const { logger, lines } = capture();
    logger.info({ paymentId: 'pay_01ARZ3NDEKTSV4RRFFQ69G5FAV', task: 'desk_lamp' }, 'payment created');
    expect(lines.join('')).toContain('pay_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(lines.join('')).toContain('desk_lamp');
  });
});
