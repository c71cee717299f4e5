import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../common/logger.js';
import type { Database } from '../db/client.js';
import { startEventPrune } from './event-prune.js';

afterEach(() => vi.useRealTimers());

describe('the periodic event prune', () => {
  it('never runs twice at once, and its stop waits for the run in progress', async () => {
    vi.useFakeTimers();
    let finish!: () => void;
    let calls = 0;
    const db = {
      execute: () => {
        calls += 1;
        return new Promise((resolve) => (finish = () => resolve({ rowCount: 0 })));
      },
    } as unknown as Database;
    const stop = startEventPrune({
      db,
      retentionMs: 1000,
      intervalMs: 10,
      logger: createLogger({ LOG_LEVEL: 'silent', NODE_ENV: 'test' }),
    });
    await vi.advanceTimersByTimeAsync(55);
    expect(calls).toBe(1);
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(1);
  });
});
