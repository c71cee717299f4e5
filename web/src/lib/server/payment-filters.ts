import { PAYMENT_STATUSES, type PaymentStatus } from '../../../../common/vocabulary.js';

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
  const q = url.searchParams.get('q')?.trim().slice(0, 100);
  return {
    status: isStatus(status) ? status : undefined,
    /** The API's own search: an id's beginning in any case, or a piece of the reference or description. */
    q: q || undefined,
    createdFrom: from ? `${from}T00:00:00Z` : undefined,
    // The "to" day is included: the range ends at the next midnight.
    createdTo: to ? new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString() : undefined,
    form: { status: status ?? '', q: url.searchParams.get('q') ?? '', from: from ?? '', to: to ?? '' },
  };
}

export type PaymentFilters = Omit<ReturnType<typeof filtersFrom>, 'form'>;

export const isFiltered = (f: PaymentFilters) => Boolean(f.status || f.q || f.createdFrom || f.createdTo);
