import type { LayoutServerLoad } from './$types';

/** The API has no "who am I" call yet, so the header names the merchant by its key's visible prefix (as `npm run merchant -- keys` lists it). */
export const load: LayoutServerLoad = ({ locals }) => ({
  signedIn: Boolean(locals.apiKey),
  keyPrefix: locals.apiKey?.slice(0, 11),
});
