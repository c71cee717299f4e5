import { env } from '$env/dynamic/private';
import { TRPCClientError } from '@trpc/client';
import { error, redirect } from '@sveltejs/kit';
import { createPaymentsClient } from '../../../../client/index.js';
import { parseConfig, temporalUiUrl } from '../../../../common/config.js';

/** The dashboard reads the same typed configuration as the API and worker. */
const config = parseConfig(env);
export const API_URL = config.API_URL;
export const TEMPORAL_UI = temporalUiUrl(config);
export const TEMPORAL_NAMESPACE = config.TEMPORAL_NAMESPACE;
export const KEY_COOKIE = 'payments_api_key';

/**
 * The typed tRPC client, acting for the signed-in merchant (or the demo merchant where allowed) and
 * naming the browser's address, so the API's per-address limits apply to it and not to this server.
 */
export function createApi(apiKey?: string, clientAddress?: string) {
  return createPaymentsClient({ url: API_URL, apiKey, headers: clientAddress ? { 'x-forwarded-for': clientAddress } : {} });
}
export type Api = ReturnType<typeof createApi>;

const UNREACHABLE = 'The payments API is unreachable; this page retries by itself.';

/** An answer from the API, as opposed to no answer at all (a network error carries no status). */
const statusOf = (err: unknown): number | undefined =>
  err instanceof TRPCClientError ? (err.data as { httpStatus?: number } | undefined)?.httpStatus : undefined;

/** Maps API errors to pages: no key → sign in, not found → 404, no answer → 503, others keep theirs. */
export function apiFailure(err: unknown): never {
  const status = statusOf(err);
  if (status !== undefined) {
    if (status === 401) redirect(303, '/login');
    error(status, (err as Error).message);
  }
  error(503, UNREACHABLE);
}

/** The message of an API error, for a form to show next to its fields. */
export function apiMessage(err: unknown): string {
  return statusOf(err) !== undefined ? (err as Error).message : UNREACHABLE;
}
