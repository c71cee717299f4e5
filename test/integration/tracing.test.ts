import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracing, type Tracing } from '../../common/tracing.js';
import { startTestSystem, waitFor, type TestSystem } from '../harness.js';

interface Span {
  name: string;
  traceId: string;
}

/** A minimal OTLP/HTTP JSON collector on loopback. */
const spans: Span[] = [];
const collector = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    try {
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Span[] }> }> };
      for (const rs of parsed.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    } catch {
      // Not an OTLP JSON body: nothing to collect.
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

let system: TestSystem;
let tracing: Tracing;
beforeAll(async () => {
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  tracing = createTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'payments-test' })!;
  system = await startTestSystem({ tracing });
});
afterAll(async () => {
  await system?.stop();
  await tracing?.shutdown();
  collector.close();
});

describe('tracing', () => {
  it('one trace follows a payment from the API through the workflow to its activities', async () => {
    const payment = await system.trpc.payments.create.mutate({ amount: 100, currency: 'EUR', delaySeconds: 0 });
    await system.temporal.workflow.getHandle(payment.id).result();
    const start = await waitFor(async () => spans.find((s) => s.name === 'StartWorkflow:paymentWorkflow'), 'the client span');
    const trace = await waitFor(async () => {
      const names = spans.filter((s) => s.traceId === start.traceId).map((s) => s.name);
      return names.includes('RunWorkflow:paymentWorkflow') && names.includes('RunActivity:capturePayment') && names;
    }, 'workflow and activity spans in the same trace');
    expect(trace).toEqual(
      expect.arrayContaining([
        'StartWorkflow:paymentWorkflow',
        'RunWorkflow:paymentWorkflow',
        'RunActivity:authorizePayment',
        'RunActivity:capturePayment',
      ]),
    );
  });
});
