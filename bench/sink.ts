import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receipt {
  /** Wall clock when the sink answered 2xx. */
  receivedAt: number;
  /** The payload's `timestamp`: when the payment reached its final state. */
  finalAt: number;
}

/** The receiver every benchmark payment's webhook goes to; it can refuse a share of requests with a 500. */
export class WebhookSink {
  readonly received = new Map<string, Receipt>();
  failFraction = 0;
  refused = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookSink> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => sink.handle(body, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // Requests arrive only after listen(), when `sink` exists.
    const sink = new WebhookSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    return sink;
  }

  private handle(body: string, res: import('node:http').ServerResponse) {
    if (this.failFraction > 0 && Math.random() < this.failFraction) {
      this.refused += 1;
      res.writeHead(500).end();
      return;
    }
    const { payment_id, timestamp } = JSON.parse(body) as { payment_id: string; timestamp: string };
    if (!this.received.has(payment_id)) this.received.set(payment_id, { receivedAt: Date.now(), finalAt: Date.parse(timestamp) });
    res.writeHead(200).end();
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
