import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
// The router's type without the server in it (generated from api/router.ts), so that the published
// declarations need only @trpc/server: see dev/generate-client-types.ts.
import type { AppRouter, PaymentChange } from './app-router.js';

export type { AppRouter, PaymentChange };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type Payment = RouterOutputs['payments']['get'];
export type Refund = RouterOutputs['payments']['refund'];
export type PaymentsClient = TRPCClient<AppRouter>;
// The error class of the @trpc/client this client was built with, so `instanceof` holds for its errors.
export { TRPCClientError } from '@trpc/client';

export interface PaymentsClientOptions {
  /** Base URL of the API, e.g. http://localhost:8080 */
  url: string;
  /** Merchant API key, sent as `X-API-Key`. */
  apiKey?: string;
  /** Extra headers on every call (a server acting for browsers passes X-Forwarded-For). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/** Typed client for other TypeScript services: every input and output comes from the API's router. */
export function createPaymentsClient(options: PaymentsClientOptions): PaymentsClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${options.url.replace(/\/$/, '')}/trpc`,
        headers: () => ({ ...options.headers, ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}) }),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}
