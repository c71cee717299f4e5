import type { Logger } from '../common/logger.js';
import type { Database } from '../db/client.js';
import { pruneEvents } from '../db/event-feed.js';

/**
 * Deletes events past their retention from the worker process, every `intervalMs`, in bounded
 * batches (db/event-feed.ts), off the API's request path. Runs never overlap; every worker
 * prunes, which is harmless: concurrent deletes of the same old rows delete each once.
 */
export function startEventPrune(options: { db: Database; retentionMs: number; logger: Logger; intervalMs?: number }): () => Promise<void> {
  const { db, retentionMs, logger } = options;
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= pruneEvents(db, retentionMs)
      .then((deleted) => {
        if (deleted > 0) logger.info({ deleted }, 'events past their retention pruned');
      })
      .catch((err: unknown) => logger.warn({ err }, 'event prune failed; next run retries'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(run, options.intervalMs ?? 5 * 60_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
