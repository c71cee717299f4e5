import { eventPage, listEventsInput } from '../../common/event-feed.js';
import { listEvents } from '../event-feed.js';
import { merchantProcedure, rest, router } from '../trpc.js';

export const eventsRouter = router({
  list: merchantProcedure
    .meta(
      rest('GET', '/api/v1/events', "The merchant's events feed", {
        tag: 'events',
        description:
          'Every event of every payment of the merchant and every operator notice, newest first, within the retention window ' +
          '(`EVENT_RETENTION`). `data` is what a webhook of the event carries. Pass `nextCursor` as `cursor` for older events; ' +
          'to poll, pass `prevCursor` as `before` and keep the `prevCursor` of each answer: no event is skipped or repeated.',
      }),
    )
    .input(listEventsInput)
    .output(eventPage)
    .query(({ ctx, input }) => listEvents(ctx, input)),
});
