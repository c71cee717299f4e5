import type { RequestHandler } from './$types';
import { API_URL } from '$lib/server/api';

/**
 * Whether the payments API answers, for an open page deciding between refreshing its data and
 * keeping what it shows: a refresh that fails would replace the page with the error page. Ready
 * includes `degraded` (reads answer while Temporal is away).
 */
export const GET: RequestHandler = async () => {
  const ready = await fetch(`${API_URL}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
  return new Response(null, { status: ready ? 204 : 503, headers: { 'cache-control': 'no-store' } });
};
