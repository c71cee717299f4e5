import { invalidateAll } from '$app/navigation';
import { navigating } from '$app/state';
import { writable } from 'svelte/store';

/**
 * False while the payments API does not answer: the page keeps the last data it received under a
 * banner (the layout shows it) instead of trading it for the error page, and recovers by itself.
 */
export const apiReachable = writable(true);

const probeApi = () =>
  fetch('/api-status', { cache: 'no-store', signal: AbortSignal.timeout(5_000) }).then(
    (r) => r.ok,
    () => false,
  );

/**
 * Keeps the page fresh: a server-sent event stream of payment changes (proxied by /events, so the
 * key never reaches the browser) triggers a reload of the page's data; when the stream drops, the
 * page refreshes every 5 s and tries the stream again every 15 s. Without the stream it asks
 * /api-status before each refresh, so an API outage leaves the page as it is, under a banner.
 * Returns a stop function.
 */
export function liveRefresh(onState: (state: 'live' | 'polling') => void = () => {}): () => void {
  let source: EventSource | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  let stopped = false;
  let streaming = false;
  // An invalidation supersedes a navigation in flight (SvelteKit lets it win), which swallowed a click
  // on a payment whenever a change arrived meanwhile. SvelteKit reports a navigation only after it has
  // loaded the target route's code, so a fresh click also holds the refresh back for a moment.
  let heldUntil = 0;
  const hold = () => (heldUntil = Date.now() + 1000);
  document.addEventListener('click', hold, true);
  const refresh = () => {
    if (pending || stopped) return;
    pending = true;
    const attempt = async () => {
      if (stopped) return;
      if (navigating.to || Date.now() < heldUntil) {
        setTimeout(attempt, 300);
        return;
      }
      const reachable = streaming || (await probeApi());
      pending = false;
      apiReachable.set(reachable);
      if (reachable && !stopped) await invalidateAll();
    };
    setTimeout(attempt, 300);
  };
  const connect = () => {
    source = new EventSource('/events');
    source.onopen = () => {
      streaming = true;
      if (poll) clearInterval(poll);
      poll = undefined;
      onState('live');
      refresh();
    };
    source.onmessage = refresh;
    source.onerror = () => {
      streaming = false;
      source?.close();
      onState('polling');
      poll ??= setInterval(refresh, 5000);
      retry = setTimeout(connect, 15_000);
    };
  };
  connect();
  return () => {
    stopped = true;
    apiReachable.set(true);
    document.removeEventListener('click', hold, true);
    source?.close();
    if (poll) clearInterval(poll);
    if (retry) clearTimeout(retry);
  };
}
