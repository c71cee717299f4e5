import { createServer, type RequestListener, type Server } from 'node:http';
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

/** Listens, and on close stops accepting, lets in-flight requests finish (bounded), then returns. */
export async function listen(handler: RequestListener, port: number, host: string, variable = 'PORT'): Promise<RunningServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(handler);
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new StartupError(`port ${port} (${variable}) is already in use; stop what uses it or set ${variable}`) : err),
    );
    s.listen(port, host, () => resolve(s));
  });
  const { port: actual } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${actual}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
