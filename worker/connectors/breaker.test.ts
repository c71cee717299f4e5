import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorBreakers, ConnectorSkippedError } from './breaker.js';
import { ConnectorDeclinedError, ConnectorUnavailableError } from './connector.js';

const stripe = { accountId: 'ca_1', kind: 'stripe' as const };
const other = { accountId: 'ca_2', kind: 'stripe' as const };
let breakers: ConnectorBreakers;

afterEach(() => breakers?.shutdown());

const failing = () => Promise.reject(new ConnectorUnavailableError('connection refused'));
const declining = () => Promise.reject(new ConnectorDeclinedError('card declined'));

describe('connector circuit breakers', () => {
  it('open after repeated failures: the next call is skipped unsent, for that account only', async () => {
    breakers = new ConnectorBreakers({ resetTimeoutMs: 60_000 });
    for (let i = 0; i < 3; i++) await expect(breakers.run(stripe, failing)).rejects.toThrow('connection refused');
    expect(breakers.isOpen(stripe)).toBe(true);
    let sent = false;
    const skipped = breakers.run(stripe, async () => (sent = true));
    await expect(skipped).rejects.toBeInstanceOf(ConnectorSkippedError);
    // A skipped call is unavailable: the route may move on at once.
    await expect(skipped).rejects.toBeInstanceOf(ConnectorUnavailableError);
    expect(sent).toBe(false);
    await expect(breakers.run(other, async () => 'ok')).resolves.toBe('ok');
  });

  it('declines are the processor working: any number of them never opens it', async () => {
    breakers = new ConnectorBreakers({ resetTimeoutMs: 60_000 });
    for (let i = 0; i < 10; i++) await expect(breakers.run(stripe, declining)).rejects.toBeInstanceOf(ConnectorDeclinedError);
    expect(breakers.isOpen(stripe)).toBe(false);
    await expect(breakers.run(stripe, async () => 'ok')).resolves.toBe('ok');
  });

  it('after the reset timeout one call tries again, and a success closes it', async () => {
    breakers = new ConnectorBreakers({ resetTimeoutMs: 100 });
    for (let i = 0; i < 3; i++) await expect(breakers.run(stripe, failing)).rejects.toThrow();
    expect(breakers.isOpen(stripe)).toBe(true);
    await expect.poll(() => breakers.isOpen(stripe), { timeout: 2_000 }).toBe(false);
    await expect(breakers.run(stripe, async () => 'back')).resolves.toBe('back');
    expect(breakers.isOpen(stripe)).toBe(false);
  });
});
