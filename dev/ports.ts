import net from 'node:net';
import { StartupError } from '../common/startup-error.js';

/**
 * A port free right now for a throwaway service, below the ephemeral range: the OS's own pick
 * (port 0) comes from that range, where a listener can collide with outgoing connections.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePortsBelow(1);
  return port!;
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

/**
 * `count` distinct ports below the kernel's ephemeral range (32768 on Linux) that are free right
 * now. For listeners that must not collide with outgoing connections' source ports, and for
 * Temporal's membership ports, which its schema stores as `smallint`.
 */
export async function freePortsBelow(count: number, below = 32768, from = 20000): Promise<number[]> {
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < count; tries++) {
    if (tries > count * 50) throw new StartupError(`found only ${chosen.size} of ${count} free ports in ${from}–${below - 1}`);
    const port = from + Math.floor(Math.random() * (below - from));
    if (!chosen.has(port) && (await isPortFree(port))) chosen.add(port);
  }
  return [...chosen];
}

/** Whether nothing listens on 127.0.0.1:port right now. */
export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
