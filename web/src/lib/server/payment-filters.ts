import { PAYMENT_STATUSES, type PaymentStatus } from '../../../../common/vocabulary.js';
import { parsePaymentSearch } from '../payment-search.js';

const isStatus = (value: string | null): value is PaymentStatus => (PAYMENT_STATUSES as readonly (string | null)[]).includes(value);

/** The list's filters, read from the URL so a filtered view can be shared and exported. */
export function filtersFrom(url: URL) {
  const status = url.searchParams.get('status');
  const day = (name: string) => {
    const value = url.searchParams.get(name);
    return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
  };
  const from = day('from');
  const to = day('to');
  const search = parsePaymentSearch(url.searchParams.get('q'));
  return {
    status: isStatus(status) ? status : undefined,
    search: search && search.kind !== 'id-prefix' ? search.search : undefined,
    /** The beginning of an id: the caller lists below `upperBound` and keeps the ids that start with `prefix`. */
    idPrefix: search?.kind === 'id-prefix' ? { prefix: search.prefix, upperBound: search.upperBound } : undefined,
    createdFrom: from ? `${from}T00:00:00Z` : undefined,
    // The "to" day is included: the range ends at the next midnight.
    createdTo: to ? new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString() : undefined,
    form: { status: status ?? '', q: url.searchParams.get('q') ?? '', from: from ?? '', to: to ?? '' },
  };
}

export type PaymentFilters = Omit<ReturnType<typeof filtersFrom>, 'form'>;

/** One page of the API's list for these filters, an id prefix included (which the API cannot match itself). */
export async function listPage<P extends { id: string }>(
  list: (
    input: Omit<PaymentFilters, 'idPrefix'> & { cursor?: string; limit: number },
  ) => Promise<{ items: P[]; nextCursor: string | null }>,
  { idPrefix, ...filters }: PaymentFilters,
  cursor: string | undefined,
  limit: number,
): Promise<{ items: P[]; nextCursor: string | null }> {
  if (!idPrefix) return list({ ...filters, cursor, limit });
  // Newest first from just above the prefix's range: its ids come first, then older ones that do not match.
  const page = await list({ ...filters, cursor: cursor ?? idPrefix.upperBound, limit });
  const items = page.items.filter((p) => p.id.startsWith(idPrefix.prefix));
  return { items, nextCursor: items.length === page.items.length ? page.nextCursor : null };
}
