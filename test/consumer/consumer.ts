// A service outside this repository, using the published client. Type-checked by test/integration/built-system.test.ts.
import { createPaymentsClient, type Payment, type RouterInputs } from 'temporal-payments/client';

const client = createPaymentsClient({ url: 'http://localhost:8080', apiKey: 'sk_test_123' });

export async function chargeLater(orderId: string): Promise<Payment> {
  const input: RouterInputs['payments']['create'] = { amount: 1999, currency: 'EUR', delaySeconds: 60, data: { orderId } };
  const created = await client.payments.create.mutate(input);
  const status: 'pending' | 'processing' | 'completed' | 'failed' | 'canceled' = created.status;
  void status;
  // @ts-expect-error amounts are integers in minor units, never strings
  await client.payments.create.mutate({ amount: '19.99', currency: 'EUR' });
  const page = await client.payments.list.query({ status: 'pending', limit: 10 });
  const first: string | undefined = page.items[0]?.id;
  void first;
  return client.payments.get.query({ id: created.id });
}
