import type { RequestHandler } from './$types';
import { API_URL } from '$lib/server/api';

/** Proxies the API's change stream, adding the merchant's key server-side. */
export const GET: RequestHandler = async ({ locals, request }) => {
  const upstream = await fetch(`${API_URL}/trpc/payments.onChange`, {
    headers: locals.apiKey ? { 'x-api-key': locals.apiKey } : {},
    signal: request.signal,
  }).catch(() => undefined);
  if (!upstream?.ok || !upstream.body) return new Response('stream unavailable', { status: 503 });
  return new Response(upstream.body, {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' },
  });
};
