import type { PaymentChange, PaymentChangeFeed } from './payment-changes.js';

/** A merchant's changes as an async stream, ending when the client leaves or the feed drops. */
export async function* changesOf(feed: PaymentChangeFeed, merchantId: string, signal?: AbortSignal): AsyncGenerator<PaymentChange> {
  const queue: PaymentChange[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const end = () => {
    ended = true;
    wake?.();
  };
  const unsubscribe = await feed.subscribe(merchantId, (change) => {
    queue.push(change);
    wake?.();
  });
  const undrop = feed.onDropped(end);
  signal?.addEventListener('abort', end);
  try {
    while (!ended) {
      if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      while (queue.length) yield queue.shift()!;
    }
  } finally {
    unsubscribe();
    undrop();
    signal?.removeEventListener('abort', end);
  }
}
