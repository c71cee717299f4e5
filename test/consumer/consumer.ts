// A service outside this repository, using the packed client. test/integration/client-package.test.ts
// installs the tarball of `npm pack` next to this file and type-checks it there (strict, skipLibCheck false).
import { createPaymentsClient, TRPCClientError, type Payment, type RouterInputs } from 'temporal-payments/client';

const client = createPaymentsClient({ url: 'http://localhost:8080', apiKey: 'sk_test_123' });

export async function chargeLater(orderId: string): Promise<Payment> {
  const input: RouterInputs['payments']['create'] = { amount: 1999, currency: 'EUR', delaySeconds: 60, data: { orderId } };
  const created = await client.payments.create.mutate(input);
  const status: 'pending' | 'processing' | 'requires_capture' | 'completed' | 'failed' | 'canceled' | 'partially_refunded' | 'refunded' =
    created.status;
  void status;
  // @ts-expect-error amounts are integers in minor units, never strings
  await client.payments.create.mutate({ amount: '19.99', currency: 'EUR' });
  // @ts-expect-error a status the API does not have
  await client.payments.list.query({ status: 'settled' });
  const page = await client.payments.list.query({ status: 'pending', limit: 10 });
  const first: string | undefined = page.items[0]?.id;
  void first;
  try {
    return await client.payments.get.query({ id: created.id });
  } catch (err) {
    if (err instanceof TRPCClientError && err.data?.code === 'NOT_FOUND') throw new Error(`payment ${created.id} vanished`);
    throw err;
  }
}
