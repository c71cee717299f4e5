import net from 'node:net';
import { StartupError } from '../common/startup-error.js';

/** A port the OS says is free right now (for throwaway test services). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Fails with one clear line when something already listens on the port we are told to use. */
export async function assertPortFree(port: number, variable: string, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new StartupError(`port ${port} (${variable}) is already in use; stop what uses it or set ${variable}`)
          : err,
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
