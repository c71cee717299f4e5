import type { PageServerLoad } from './$types';
import { apiFailure } from '$lib/server/api';
import { FEED_EVENT_TYPES, type FeedEventType } from '../../../../common/event-feed.js';
import { paymentId as paymentIdRule } from '../../../../common/payment.js';

const PAGE_SIZE = 25;
const isFeedType = (t: string): t is FeedEventType => (FEED_EVENT_TYPES as readonly string[]).includes(t);

/** The merchant's events feed: types and payment from the URL, paged by the feed's own cursors. */
export const load: PageServerLoad = async ({ locals, url }) => {
  const params = url.searchParams;
  // A hand-edited URL with an unknown type or a malformed id shows the feed without it, and says so.
  const types = params.getAll('types').filter(isFeedType);
  const paymentText = params.get('paymentId')?.trim() ?? '';
  const paymentValid = paymentText === '' || paymentIdRule.safeParse(paymentText).success;
  const cursor = params.get('cursor') || undefined;
  const before = params.get('before') || undefined;
  try {
    const page = await locals.api.events.list.query({
      types: types.length ? types : undefined,
      paymentId: paymentValid && paymentText ? paymentText : undefined,
      cursor: before ? undefined : cursor,
      before,
      limit: PAGE_SIZE,
    });
    return {
      ...page,
      allTypes: FEED_EVENT_TYPES,
      form: { types, paymentId: paymentText },
      problem: paymentValid ? null : 'Payment: must be a payment id such as pay_01J…',
      paged: Boolean(cursor || before),
      query: params.toString(),
    };
  } catch (err) {
    apiFailure(err);
  }
};
