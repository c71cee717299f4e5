import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../api/router.js';

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type Payment = RouterOutputs['payments']['get'];

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
export function createPaymentsClient(options: PaymentsClientOptions) {
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
