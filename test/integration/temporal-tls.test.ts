import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createSecureServer, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTemporalClient } from '../../api/temporal-client.js';
import { childEnvironment, parseConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { StartupError } from '../../common/startup-error.js';
import { startTemporalCluster, type TemporalClusterHandle } from '../../dev/temporal-cluster.js';
import { temporalConnectionSettings } from '../../runtime/temporal-connection.js';
import { startTestSystem, startWebhookReceiver, waitFor } from '../harness.js';

/**
 * A secured frontend as Temporal Cloud or a hardened cluster has one: the four-process cluster
 * with a frontend that speaks only TLS and requires a client certificate signed by its CA. The
 * API, the worker and the reconcile CLI reach it through the TEMPORAL_TLS_* variables alone.
 */

const run = promisify(execFile);
// Shaped like a Temporal Cloud key (a JWT): nothing about its form marks it as a secret.
const API_KEY = 'eyJhbGciOiJFUzI1NiJ9.eyJ0ZXN0IjoidGVtcG9yYWwtdGxzIn0.dGhyb3dhd2F5LXNpZ25hdHVyZQ';

interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting it instead of the real one must fail. */
  otherCa: string;
}

/** A throwaway CA, a server certificate for localhost and 127.0.0.1, and a client certificate, by openssl. */
async function createPki(dir: string): Promise<Pki> {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = async (name: string) =>
    openssl(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  const leaf = async (name: string, extensions: string) => {
    await writeFile(file(`${name}.ext`), extensions);
    await openssl('req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  await Promise.all([ca('ca'), ca('other-ca')]);
  await leaf('server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  await leaf('client', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  return {
    dir,
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    otherCa: file('other-ca.pem'),
  };
}

let scratch: string;
let pki: Pki;
let cluster: TemporalClusterHandle | undefined;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-temporal-tls-'));
  await chmod(scratch, 0o755);
  pki = await createPki(scratch);
  cluster = await startTemporalCluster({
    dataDir: path.join(scratch, 'cluster'),
    timeoutMs: 90_000,
    tls: {
      caFile: pki.ca,
      serverCertFile: pki.serverCert,
      serverKeyFile: pki.serverKey,
      serverName: 'localhost',
      clientCertFile: pki.clientCert,
      clientKeyFile: pki.clientKey,
    },
  });
}, 240_000);
afterAll(async () => {
  await cluster?.stop().catch(() => cluster?.kill());
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** The variables an operator sets for a secured cluster. */
const secured = (overrides: Record<string, string> = {}) => ({
  TEMPORAL_ADDRESS: cluster!.address,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca,
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
  TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
  TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
  ...overrides,
});

/** The client's way in (API, CLI tools): `'connected'` or the error. */
async function connectClient(env: Record<string, string | undefined>) {
  return connectTemporalClient(temporalConnectionSettings(parseConfig(env)), 'default').then(
    async (c) => {
      await c.connection.close();
      return 'connected';
    },
    (err: Error) => err,
  );
}

/** The worker's way in (the native connection of the Rust core). */
async function connectWorker(env: Record<string, string | undefined>) {
  return NativeConnection.connect(temporalConnectionSettings(parseConfig(env))).then(
    async (c) => {
      await c.close();
      return 'connected';
    },
    (err: Error) => err,
  );
}

async function connectBothWays(env: Record<string, string | undefined>) {
  return { client: await connectClient(env), native: await connectWorker(env) };
}

describe('a TLS frontend requiring client certificates', () => {
  it('runs a payment end to end: API create over mTLS, the worker completes it, the reconcile CLI agrees; the API key never reaches the logs', async () => {
    const lines: string[] = [];
    const env = secured({ TEMPORAL_API_KEY: API_KEY, LOG_LEVEL: 'debug' });
    const logger = createLogger(
      parseConfig({ ...env, NODE_ENV: 'test' }),
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const receiver = await startWebhookReceiver();
    const system = await startTestSystem({ env, logger });
    try {
      const created = await system.trpc.payments.create.mutate({
        amount: 1234,
        currency: 'EUR',
        delaySeconds: 0,
        webhookUrl: receiver.url,
      });
      const done = await waitFor(
        async () => {
          const p = await system.trpc.payments.get.query({ id: created.id });
          return p.status !== 'pending' && p.status !== 'processing' && p.webhookStatus !== 'pending' && p;
        },
        `payment ${created.id} to settle over TLS`,
        60_000,
      );
      expect(done).toMatchObject({ status: 'completed', webhookStatus: 'delivered', amount: 1234, currency: 'EUR' });
      expect(receiver.received.filter((w) => w.body.payment_id === created.id)).toHaveLength(1);
      // The workflow ran on the secured cluster, not on the suite's plaintext dev server. Its last
      // projection lands a workflow task before it closes, so wait for the close, not just the read model.
      const handle = system.temporal.workflow.getHandle(created.id);
      await handle.result();
      const described = await handle.describe();
      expect(described.status.name).toBe('COMPLETED');

      // The CLI tools read the same variables.
      const reconcile = await run(
        process.execPath,
        ['--import', 'tsx', 'api/reconcile-cli.ts', '--json', '--task-queue', system.config.TEMPORAL_TASK_QUEUE],
        {
          env: childEnvironment({ ...env, DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'warn' }),
          timeout: 60_000,
        },
      );
      expect(JSON.parse(reconcile.stdout)).toMatchObject({ checked: 1, disagreements: [] });

      // A line that names the settings outright, as a debugging operator might write.
      logger.error({ temporal: temporalConnectionSettings(system.config), config: system.config }, `connected with ${API_KEY}`);
    } finally {
      await system.stop();
      await receiver.close();
    }
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(0);
    expect(text).toContain('connected with [redacted]');
    expect(text).not.toContain(API_KEY);
  });

  it('refuses a client without a certificate, one trusting another CA, one expecting another name, and plaintext', async () => {
    const refusals = {
      'no client certificate': secured({ TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' }),
      'another CA': secured({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.otherCa }),
      'another server name': secured({ TEMPORAL_TLS_SERVER_NAME: 'frontend.example.com' }),
      plaintext: { TEMPORAL_ADDRESS: cluster!.address },
    };
    for (const [name, env] of Object.entries(refusals)) {
      const { client, native } = await connectBothWays(env);
      expect(client, `client with ${name}`).toBeInstanceOf(StartupError);
      expect(String(client), `client with ${name}`).toMatch(
        new RegExp(`cannot reach Temporal at ${cluster!.address}${name === 'plaintext' ? ':' : ' over TLS:'}`),
      );
      expect(native, `worker with ${name}`).toBeInstanceOf(Error);
    }
    // The control: the same two paths with the full settings connect, so the refusals above are the settings' doing.
    expect(await connectBothWays(secured())).toEqual({ client: 'connected', native: 'connected' });
  });
});

describe('the API key', () => {
  it('goes as `Authorization: Bearer <key>` on every call of the client and of the worker, over TLS', async () => {
    const [key, cert] = await Promise.all([readFile(pki.serverKey), readFile(pki.serverCert)]);
    const seen: IncomingHttpHeaders[] = [];
    // The smallest gRPC server: every call answers OK with an empty message, which GetSystemInfo accepts.
    const server = createSecureServer({ key, cert });
    server.on('stream', (stream, headers) => {
      seen.push(headers);
      stream.resume();
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const env = { TEMPORAL_ADDRESS: address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca, TEMPORAL_TLS_SERVER_NAME: 'localhost' };
      for (const connect of [connectClient, connectWorker]) {
        seen.length = 0;
        expect(await connect({ ...env, TEMPORAL_API_KEY: API_KEY }), connect.name).toBe('connected');
        expect(
          seen.map((h) => h[':path']),
          connect.name,
        ).toContain('/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo');
        for (const h of seen) expect(h.authorization, `${connect.name} ${String(h[':path'])}`).toBe(`Bearer ${API_KEY}`);
      }

      // The control: without the variable nothing is sent, so the listener would catch a key gone missing.
      seen.length = 0;
      expect(await connectBothWays(env)).toEqual({ client: 'connected', native: 'connected' });
      expect(seen.length).toBeGreaterThan(0);
      for (const h of seen) expect(h.authorization).toBeUndefined();
    } finally {
      server.close();
    }
  });
});
