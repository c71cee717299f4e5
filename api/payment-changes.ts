import { EventEmitter } from 'node:events';
import type pg from 'pg';

export interface PaymentChange {
  paymentId: string;
  version: number;
}

export const PAYMENT_CHANGES_CHANNEL = 'payment_changes';

/**
 * One LISTEN connection per API process, fanned out to subscribers by merchant. Opened on the
 * first subscriber. If it drops, every stream ends: a stream cannot promise it saw every change, so
 * clients refresh and subscribe again, which listens anew.
 */
export class PaymentChangeFeed {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private client?: pg.PoolClient;
  private connecting?: Promise<void>;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  async subscribe(merchantId: string, listener: (change: PaymentChange) => void): Promise<() => void> {
    await this.ensureListening();
    this.emitter.on(merchantId, listener);
    return () => this.emitter.off(merchantId, listener);
  }

  private ensureListening(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = await this.pool.connect();
      client.on('notification', ({ payload }) => {
        const [merchantId, paymentId, version] = (payload ?? '').split(':');
        if (merchantId && paymentId) this.emitter.emit(merchantId, { paymentId, version: Number(version) });
      });
      client.on('error', () => this.drop(client));
      await client.query(`LISTEN ${PAYMENT_CHANGES_CHANNEL}`);
      this.client = client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private drop(client: pg.PoolClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(true);
    // Streams end; their clients refresh and reconnect, which opens a new LISTEN connection.
    this.emitter.emit('dropped');
  }

  onDropped(listener: () => void): () => void {
    this.emitter.on('dropped', listener);
    return () => this.emitter.off('dropped', listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client?.release(true);
    this.client = undefined;
  }
}
