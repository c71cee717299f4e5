import CircuitBreaker from 'opossum';
import { connectorCircuitOpen } from '../../common/metrics.js';
import type { ConnectorRef } from '../../common/connector-route.js';
import { ConnectorDeclinedError, ConnectorUnavailableError } from './connector.js';

export interface BreakerSettings {
  /** How long an open circuit skips its connector before letting one call through (half-open). */
  resetTimeoutMs: number;
}

/**
 * One circuit breaker (opossum) per connector account, per worker process: after repeated failures
 * its authorize calls are skipped for a while, so payments go straight to the next connector
 * instead of each waiting for the broken one to time out. Only the route's authorize calls pass
 * through it; capture, void and refund must reach the connector that holds the money.
 */
export class ConnectorBreakers {
  private readonly breakers = new Map<string, CircuitBreaker<[() => Promise<unknown>], unknown>>();

  constructor(private readonly settings: BreakerSettings) {}

  /** Runs the call through the account's breaker; an open one throws ConnectorUnavailableError unsent. */
  async run<T>(ref: ConnectorRef, call: () => Promise<T>): Promise<T> {
    try {
      return (await this.breakerOf(ref).fire(call)) as T;
    } catch (err) {
      if (err instanceof Error && (err as { code?: string }).code === 'EOPENBREAKER')
        throw new ConnectorSkippedError(`circuit open for ${describe(ref)}: not sent`);
      throw err;
    }
  }

  isOpen(ref: ConnectorRef): boolean {
    return this.breakers.get(keyOf(ref))?.opened ?? false;
  }

  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  private breakerOf(ref: ConnectorRef) {
    const key = keyOf(ref);
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
        // Temporal bounds each call (activity timeout, SDK timeout); a second clock here would race it.
        timeout: false,
        resetTimeout: this.settings.resetTimeoutMs,
        rollingCountTimeout: 30_000,
        rollingCountBuckets: 10,
        // Three calls in the window, half of them failing, open it.
        volumeThreshold: 3,
        errorThresholdPercentage: 50,
        // A decline is the processor working as it should: it never counts against it.
        errorFilter: (err: unknown) => err instanceof ConnectorDeclinedError,
        name: key,
      });
      const labels = { connector: ref.kind, account: key };
      breaker.on('open', () => connectorCircuitOpen.set(labels, 1));
      breaker.on('close', () => connectorCircuitOpen.set(labels, 0));
      this.breakers.set(key, breaker);
    }
    return breaker;
  }
}

/** The call was not sent because the circuit is open: unavailable, and recorded as skipped. */
export class ConnectorSkippedError extends ConnectorUnavailableError {
  override name = 'ConnectorSkippedError';
}

export const accountLabel = (ref: ConnectorRef): string => ref.accountId ?? 'built-in';
const keyOf = accountLabel;
const describe = (ref: ConnectorRef) => `${ref.kind} ${accountLabel(ref)}`;
