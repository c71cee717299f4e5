import { describe, expect, it } from 'vitest';
import { listen } from './listen.js';

describe('a listener closing', () => {
  it('lets a request in flight finish, and cuts a live stream at once', async () => {
    let finishSlow: (() => void) | undefined;
    const server = await listen(
      (req, res) => {
        if (req.url === '/events') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('event: connected\ndata: {}\n\n');
          return;
        }
        finishSlow = () => res.end('done');
      },
      0,
      '127.0.0.1',
    );
    const stream = await fetch(`${server.url}/events`);
    const reader = stream.body!.getReader();
    await reader.read();
    const slow = fetch(`${server.url}/slow`).then((r) => r.text());
    await expect.poll(() => finishSlow !== undefined).toBe(true);

    const started = Date.now();
    const closed = server.close();
    // The stream ends (an error or done), long before the 10 s drain bound.
    await expect(
      reader.read().then(
        (r) => r.done,
        () => true,
      ),
    ).resolves.toBe(true);
    finishSlow!();
    expect(await slow).toBe('done');
    await closed;
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
