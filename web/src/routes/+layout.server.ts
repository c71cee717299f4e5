import type { LayoutServerLoad } from './$types';

/**
 * The header names the merchant the API acts for (`merchants.me`), with the key's visible prefix
 * (as `npm run merchant -- keys` lists it) when signed in. A page that cannot ask (no key and no
 * demo fallback, or the API down) still renders: the page's own load reports that.
 */
export const load: LayoutServerLoad = async ({ locals }) => ({
  signedIn: Boolean(locals.apiKey),
  keyPrefix: locals.apiKey?.slice(0, 11),
  merchant: await locals.api.merchants.me.query().catch(() => undefined),
});
