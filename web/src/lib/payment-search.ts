/** Crockford base32 as ULIDs use it: no I, L, O or U. */
const ULID_CHARS = /^[0-9A-HJKMNP-TV-Z]*$/;
const ULID_LENGTH = 26;

export type PaymentSearch =
  /** Passed to the API as it is (a reference or its beginning; the API upper-cases it). */
  | { kind: 'text'; search: string }
  /** A whole payment id, in the API's spelling. */
  | { kind: 'id'; search: string }
  /** The beginning of a payment id (the list's `q` finds those; a payment page needs the whole id). */
  | { kind: 'id-prefix'; prefix: string };

/**
 * What a person typed into the search box, in the form the API understands. Ids are `pay_` + an
 * upper-case ULID, so `PAY_01j…`, `01J…` (no prefix) and a pasted id with spaces all find the payment.
 */
export function parsePaymentSearch(typed: string | null | undefined): PaymentSearch | undefined {
  const term = (typed ?? '').trim();
  if (!term) return undefined;
  const idLike = /^(pay_)?([0-9a-z]+)$/i.exec(term);
  const ulid = idLike?.[2]?.toUpperCase() ?? '';
  const hasPrefix = Boolean(idLike?.[1]);
  if (idLike && ULID_CHARS.test(ulid) && (hasPrefix || ulid.length === ULID_LENGTH)) {
    if (ulid.length === ULID_LENGTH) return { kind: 'id', search: `pay_${ulid}` };
    if (ulid.length < ULID_LENGTH) return { kind: 'id-prefix', prefix: `pay_${ulid}` };
  }
  return { kind: 'text', search: term };
}
