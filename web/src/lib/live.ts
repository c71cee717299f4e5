import { invalidateAll } from '$app/navigation';

/**
 * Keeps the page fresh: a server-sent event stream of payment changes (proxied by /events, so the
 * key never reaches the browser) triggers a reload of the page's data; when the stream drops, the
 * page refreshes every 5 s and tries the stream again every 15 s. Returns a stop function.
 */
export function liveRefresh(onState: (state: 'live' | 'polling') => void = () => {}): () => void {
  let source: EventSource | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  const refresh = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      void invalidateAll();
    }, 300);
  };
  const connect = () => {
    source = new EventSource('/events');
    source.onopen = () => {
      if (poll) clearInterval(poll);
      poll = undefined;
      onState('live');
      refresh();
    };
    source.onmessage = refresh;
    source.onerror = () => {
      source?.close();
      onState('polling');
      poll ??= setInterval(refresh, 5000);
      retry = setTimeout(connect, 15_000);
    };
  };
  connect();
  return () => {
    source?.close();
    if (poll) clearInterval(poll);
    if (retry) clearTimeout(retry);
  };
}
