import { PAYMENT_WORKFLOW_TYPE } from '../common/workflow-api.js';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../common/payment-id.js';
import { PAYMENTS_QUEUE, type BenchEnvironment } from './environment.js';

/** Every payment a run creates, so the closing check can count them everywhere. */
export class RunLedger {
  readonly created = new Set<string>();
  readonly withWebhook = new Set<string>();
  readonly sleeping = new Set<string>();

  record(id: string, body: { webhookUrl?: string; delaySeconds: number }) {
    this.created.add(id);
    if (body.webhookUrl) this.withWebhook.add(id);
    if (body.delaySeconds >= 3600) this.sleeping.add(id);
  }
}

export interface PaymentBody {
  amount: number;
  currency: string;
  delaySeconds: number;
  webhookUrl?: string;
}

export type Door = 'rest' | 'trpc' | 'direct';

/** Creates a payment through one door and records it; throws on anything but success. */
export async function createPayment(env: BenchEnvironment, ledger: RunLedger, door: Door, body: PaymentBody): Promise<string> {
  const id = await send(env, door, body);
  ledger.record(id, body);
  return id;
}

async function send(env: BenchEnvironment, door: Door, body: PaymentBody): Promise<string> {
  if (door === 'trpc') return (await env.trpc.payments.create.mutate(body)).id;
  if (door === 'rest') {
    const res = await fetch(`${env.apiUrl}/api/v1/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }
  // B-direct: what the API does at its core, from a plain script.
  const id = newPaymentId();
  await env.temporal.workflow.start(PAYMENT_WORKFLOW_TYPE, {
    taskQueue: PAYMENTS_QUEUE,
    workflowId: id,
    args: [
      {
        paymentId: id,
        merchantId: 'mer_demo',
        paymentMethodId: null,
        reference: paymentReference(id),
        amount: body.amount,
        currency: body.currency,
        delaySeconds: body.delaySeconds,
        webhookUrl: body.webhookUrl ?? null,
        data: {},
        description: null,
        createdAt: paymentCreatedAt(id),
      },
    ],
  });
  return id;
}

export const BARE_WORKFLOW = 'bareWorkflow';
