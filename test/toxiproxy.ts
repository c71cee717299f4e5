import { spawn, type ChildProcess } from 'node:child_process';
import { childEnvironment, parseToolConfig } from '../common/config.js';
import { findOrInstallGoTool, GO_TOOLS } from '../dev/go-tools.js';
import { freePort } from '../dev/ports.js';
import { waitFor } from './process-group.js';

/**
 * Network faults through Toxiproxy (Shopify's TCP proxy for chaos tests), driven over its HTTP API.
 * Every listener (the API's and the proxies') takes a port below 32768: the ephemeral range starts
 * there, so an outgoing connection of some other test can never be holding it.
 */

/** The toxics the fault tests use; `stream` is seen from the proxy's client (downstream = answers). */
export type Toxic = { stream?: 'upstream' | 'downstream'; toxicity?: number } & (
  | { type: 'latency'; attributes: { latency: number; jitter?: number } }
  /** KB/s. */
  | { type: 'bandwidth'; attributes: { rate: number } }
  /** Resets the connection (RST) `timeout` ms after data arrives; 0 resets on the first byte. */
  | { type: 'reset_peer'; attributes: { timeout: number } }
  /** Swallows data and closes after `timeout` ms (0: holds it for ever). */
  | { type: 'timeout'; attributes: { timeout: number } }
);

export interface ToxiproxyServer {
  /** A proxy in front of `upstream` (host:port) on a free low port; `address` is what clients dial. */
  proxy(name: string, upstream: string): Promise<Proxy>;
  stop(): Promise<void>;
}

export interface Proxy {
  readonly name: string;
  readonly address: string;
  /** Closes every connection and refuses new ones (the listener goes away) until `enable`. */
  disable(): Promise<void>;
  enable(): Promise<void>;
  /** Disabled for `ms`, then enabled again; resolves once it is back. */
  cut(ms: number): Promise<void>;
  addToxic(name: string, toxic: Toxic): Promise<void>;
  removeToxic(name: string): Promise<void>;
  /** Deletes the proxy (its connections close). */
  remove(): Promise<void>;
}

/** Starts `toxiproxy-server` (built once into the per-user cache, `TOXIPROXY_SERVER` overrides). */
export async function startToxiproxy(): Promise<ToxiproxyServer> {
  const binary = await findOrInstallGoTool(GO_TOOLS.toxiproxy, { explicit: parseToolConfig().TOXIPROXY_SERVER });
  let lastError: unknown;
  // A port found free can be taken before the server binds it: another port, a few times.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(binary, ['-host', '127.0.0.1', '-port', String(port)], {
      env: childEnvironment({ LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      return await connectServer(child, `http://127.0.0.1:${port}`);
    } catch (err) {
      lastError = err;
      await stopChild(child);
    }
  }
  throw new Error(`toxiproxy-server did not start: ${String(lastError)}`);
}

async function connectServer(child: ChildProcess, api: string): Promise<ToxiproxyServer> {
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (c) => (output = (output + c).slice(-4000)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited: ${output.trim()}`);
      return (await fetch(`${api}/version`)).ok;
    },
    'toxiproxy-server',
    10_000,
  ).catch((err: Error) => {
    process.off('exit', killOnExit);
    throw err;
  });

  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path} answered ${res.status}: ${await res.text()}`);
    return res;
  };

  const makeProxy = (name: string, address: string): Proxy => {
    // Toxiproxy 2.5 updates a proxy by POST (PATCH came later).
    const setEnabled = async (enabled: boolean) => void (await call('POST', `/proxies/${name}`, { enabled }));
    return {
      name,
      address,
      disable: () => setEnabled(false),
      enable: () => setEnabled(true),
      async cut(ms) {
        await setEnabled(false);
        try {
          await new Promise((r) => setTimeout(r, ms));
        } finally {
          await setEnabled(true);
        }
      },
      async addToxic(toxicName, toxic) {
        await call('POST', `/proxies/${name}/toxics`, { name: toxicName, stream: 'downstream', toxicity: 1, ...toxic });
      },
      async removeToxic(toxicName) {
        await call('DELETE', `/proxies/${name}/toxics/${toxicName}`);
      },
      async remove() {
        await call('DELETE', `/proxies/${name}`);
      },
    };
  };

  return {
    async proxy(name, upstream) {
      let lastError: unknown;
      for (let attempt = 0; attempt < 5; attempt++) {
        const address = `127.0.0.1:${await freePort()}`;
        try {
          await call('POST', '/proxies', { name, listen: address, upstream, enabled: true });
          return makeProxy(name, address);
        } catch (err) {
          // Taken between the check and the bind: Toxiproxy answers 500 and keeps nothing.
          if (!/address already in use/.test(String(err))) throw err;
          lastError = err;
        }
      }
      throw lastError;
    },
    async stop() {
      process.off('exit', killOnExit);
      await stopChild(child);
    },
  };
}

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
