import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartupError } from '../common/startup-error.js';

/** Something listening on a port: where it is, and how to stop it. */
export interface Listening {
  url: string;
  close(): Promise<void>;
}

export interface RunningServer extends Listening {
  server: Server;
}

/** In-flight requests (and live streams) get this long to finish once a server stops accepting. */
export const DRAIN_MS = 10_000;

/** A response given its headers through writeHead() (SvelteKit does) shows them only in the block it sent. */
function contentType(res: ServerResponse): string {
  const sent = (res as { _header?: string | null })._header ?? '';
  return String(res.getHeader('content-type') ?? /^content-type:\s*([^\r\n]*)/im.exec(sent)?.[1] ?? '');
}

const isLiveStream = (res: ServerResponse) => contentType(res).startsWith('text/event-stream');

/**
 * Listens, and on close stops accepting, lets in-flight requests finish (bounded), then returns.
 * Live streams (SSE) never finish by themselves: they are cut at once, and their clients reconnect
 * (to another instance, or to this one once it is back).
 */
export async function listen(handler: RequestListener, port: number, host: string, variable = 'PORT'): Promise<RunningServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(handler);
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new StartupError(`port ${port} (${variable}) is already in use; stop what uses it or set ${variable}`)
          : err,
      ),
    );
    s.listen(port, host, () => resolve(s));
  });
  const open = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_req, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      // Once stopping, a connection whose last request just finished must not wait for its client to hang up.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  const { port: actual } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${actual}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
        for (const res of open) if (isLiveStream(res)) res.socket?.destroy();
      }),
  };
}
