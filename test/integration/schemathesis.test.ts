import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { childEnvironment, parseToolConfig } from '../../common/config.js';
import { findOrInstallSchemathesis } from '../../dev/schemathesis.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/**
 * Schemathesis (pinned, see dev/schemathesis.ts) against the served OpenAPI document: every phase
 * (examples, coverage, fuzzing, stateful with the links it infers) and every check, seeded so a
 * run is reproducible. It must find nothing. A second run against a deliberately lying copy of
 * the document must find the lies, so a green first run means something.
 *
 * Loopback only. Schemathesis invents webhook URLs on public names and addresses; the API looks
 * names up when they are given and the worker connects to them when it delivers. Here every name
 * but localhost is unknown at once (NXDOMAIN, as the API accepts: "names that do not resolve yet
 * are accepted") and every connection that is not to loopback is refused, so the run neither
 * leaves the machine nor depends on how a resolver out there answers a burst of made-up names.
 */

vi.mock('node:dns/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:dns/promises')>();
  const lookup = (async (hostname: string, options?: unknown) => {
    if (hostname === 'localhost' || hostname.endsWith('.localhost')) return real.lookup(hostname, options as never);
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  }) as typeof real.lookup;
  return { ...real, lookup, default: { ...real, lookup } };
});

const isLoopback = (host: string) =>
  host === 'localhost' || (net.isIPv4(host) && host.startsWith('127.')) || host === '::1' || /^::ffff:127\./i.test(host);

/** Refuses outgoing connections that are not to loopback (webhook deliveries to invented URLs). */
function loopbackOnly(): { refused: string[]; restore(): void } {
  const refused: string[] = [];
  const originals = { net: net.connect, tls: tls.connect };
  const guard = <F extends (...args: never[]) => net.Socket>(original: F): F =>
    function (this: unknown, ...args: unknown[]) {
      const first = args[0];
      const options = (typeof first === 'object' && first ? first : { host: typeof args[1] === 'string' ? args[1] : undefined }) as {
        host?: string;
        path?: string;
      };
      const host = (options.host ?? 'localhost').replace(/^\[|\]$/g, '');
      if (options.path || isLoopback(host)) return (original as unknown as (...a: unknown[]) => net.Socket).apply(this, args);
      refused.push(host);
      const socket = new net.Socket();
      process.nextTick(() =>
        socket.destroy(
          Object.assign(new Error(`connect ECONNREFUSED ${host} (this test connects to loopback only)`), { code: 'ECONNREFUSED' }),
        ),
      );
      return socket;
    } as unknown as F;
  net.connect = guard(originals.net);
  tls.connect = guard(originals.tls as never) as unknown as typeof tls.connect;
  return {
    refused,
    restore() {
      net.connect = originals.net;
      tls.connect = originals.tls;
    },
  };
}

/**
 * Fixed, so the same version generates the same inputs and a red run can be replayed. Only what the
 * server's answers (fresh ids) lead the stateful phase to varies a little between runs.
 */
const SEED = 14;
/** Per operation and phase; bounds the run to about two minutes on two cores. */
const MAX_EXAMPLES = 50;
const RESULTS = path.resolve('test-results/schemathesis');

/**
 * Passed explicitly, so no schemathesis.toml found above the working directory is read. The API's
 * 422 answers a paymentMethodId the merchant does not have (documented on the operation), and on
 * connector accounts fields that contradict each other (minAmount above maxAmount, a stripe account
 * without its key), which no JSON schema can say: answers to schema-valid input, as 404 is for an
 * unknown id, so positive_data_acceptance expects them there and nowhere else.
 */
const CONFIG = `
[[operations]]
include-name = "POST /api/v1/payments"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-name = "POST /api/v1/connectors"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-name = "PATCH /api/v1/connectors/{id}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
`;

interface StRun {
  code: number;
  output: string;
  /** Test cases schemathesis generated and sent (its own count, from the summary). */
  generated: number;
  /** `check operation` for every check that failed at least once, from the NDJSON event stream. */
  failures: Set<string>;
  seconds: number;
}

async function runSchemathesis(st: string, name: string, args: string[]): Promise<StRun> {
  const dir = path.join(RESULTS, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'schemathesis.toml'), CONFIG);
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      st,
      [
        '--config-file',
        path.join(dir, 'schemathesis.toml'),
        'run',
        ...args,
        '--seed',
        String(SEED),
        '--workers',
        '1',
        '--generation-database',
        'none',
        '--no-color',
        '--output-sanitize',
        'false',
        '--report',
        'junit,ndjson',
        '--report-dir',
        dir,
      ],
      // Its working directory takes the caches it writes (.hypothesis, .schemathesis); not the repository.
      { cwd: dir, timeout: 10 * 60_000, maxBuffer: 64 * 1024 * 1024, env: childEnvironment({ NO_COLOR: '1', COLUMNS: '120' }) },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: `${stdout}${stderr}` }),
    );
  });
  const seconds = (Date.now() - started) / 1000;
  await writeFile(path.join(dir, 'output.txt'), output);
  const failures = new Set<string>();
  const ndjson = (await readdir(dir)).find((f) => f.endsWith('.ndjson'));
  for (const line of ndjson ? (await readFile(path.join(dir, ndjson), 'utf8')).split('\n') : []) {
    if (!line.startsWith('{"ScenarioFinished"')) continue;
    const { recorder } = (JSON.parse(line) as { ScenarioFinished: { recorder: Recorder } }).ScenarioFinished;
    for (const check of Object.values(recorder.checks ?? {}).flat()) {
      if (check.status === 'failure') failures.add(`${check.name} ${check.failure_info?.failure?.operation ?? recorder.label}`);
    }
  }
  const generated = Number(/Test cases:\s*\n\s*(\d+) generated/.exec(output)?.[1] ?? 0);
  return { code, output, generated, failures, seconds };
}

/** What a red run shows: the failures and errors with their reproductions, without the progress lines. */
const digest = (run: StRun) => {
  const from = run.output.search(/^=+ (ERRORS|FAILURES) =+$/m);
  return `schemathesis exited ${run.code} after ${run.seconds.toFixed(0)} s; full output and reports in ${RESULTS}\n${from >= 0 ? run.output.slice(from) : run.output}`;
};

let st: string;
let system: TestSystem;
let key: string;
let guard: ReturnType<typeof loopbackOnly>;
let liar: Server | undefined;

beforeAll(async () => {
  st = await findOrInstallSchemathesis({ explicit: parseToolConfig().SCHEMATHESIS_BIN });
  guard = loopbackOnly();
  // Auth-failure limiting is the API's own, tested elsewhere: schemathesis sends invalid keys on
  // purpose (ignored_auth), which would otherwise turn its expected 401s into 429s after 20.
  // Webhooks retry on the production schedule, not the suite's 100 ms one: the fuzzer creates
  // thousands of payments and endpoints with unreachable URLs, and the suite's schedule turns them
  // into a storm of attempts, dead letters and notices within seconds, starving the payments' own
  // updates of worker slots on two cores, which no deployment would see.
  system = await startTestSystem({
    env: { ANONYMOUS_AS_DEMO: 'false', AUTH_FAILURES_PER_MINUTE: '100000', WEBHOOK_RETRY_SCHEDULE: '0,5s,5m,30m,2h,5h,10h,10h' },
  });
  key = (await createMerchant(system.database.db, 'Schemathesis')).apiKey.key;
}, 600_000);
afterAll(async () => {
  await new Promise<void>((resolve) => (liar ? liar.close(() => resolve()) : resolve()));
  await system?.stop();
  guard?.restore();
});

describe('schemathesis against /api/v1/openapi.json', () => {
  it('every phase (stateful included) and every check find no failure', { timeout: 600_000 }, async () => {
    const run = await runSchemathesis(st, 'api', [
      `${system.apiUrl}/api/v1/openapi.json`,
      '--url',
      system.apiUrl,
      '--header',
      `X-API-Key: ${key}`,
      '--checks',
      'all',
      '--phases',
      'examples,coverage,fuzzing,stateful',
      '--max-examples',
      String(MAX_EXAMPLES),
      // A red run lists every failure it can reach, not only the first of each operation.
      '--continue-on-failure',
      // Above the API's own 10 s bound on workflow updates (then 504), so a slow answer is judged, not dropped.
      '--request-timeout',
      '15',
      // The document states it for every string (JSON Schema has no global rule): no NUL. The poison
      // corpus of integration/hostile-input proves the refusal itself.
      '--generation-allow-x00',
      'false',
    ]);
    console.log(
      `schemathesis: ${run.generated} test cases in ${run.seconds.toFixed(0)} s, exit ${run.code}; connections refused (not loopback): ${guard.refused.length}`,
    );
    // The stateful phase ran and followed links between operations (inferred from the document).
    const links = /API Links:\s+(\d+) covered/.exec(run.output);
    expect(Number(links?.[1] ?? 0), digest(run)).toBeGreaterThan(0);
    expect(run.generated, digest(run)).toBeGreaterThan(0);
    expect([...run.failures], digest(run)).toEqual([]);
    expect(run.code, digest(run)).toBe(0);
  });

  it('negative control: a document that lies about the API fails the same oracle', { timeout: 300_000 }, async () => {
    const real = (await (await fetch(`${system.apiUrl}/api/v1/openapi.json`)).json()) as OpenApi;
    const lying = structuredClone(real);
    // Lie 1: a created payment's amount is a string (it is an integer).
    const created = lying.paths['/api/v1/payments']!.post!.responses['201'] as {
      content: { 'application/json': { schema: { properties: Record<string, unknown> } } };
    };
    created.content['application/json'].schema.properties.amount = { type: 'string' };
    // Lie 2: reading a payment never answers 404 (an unknown id does).
    delete lying.paths['/api/v1/payments/{id}']!.get!.responses['404'];
    lying.servers = [{ url: system.apiUrl }];
    liar = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(lying)));
    await new Promise<void>((resolve) => liar!.listen(0, '127.0.0.1', resolve));
    const liarUrl = `http://127.0.0.1:${(liar.address() as AddressInfo).port}/openapi.json`;

    const run = await runSchemathesis(st, 'negative-control', [
      liarUrl,
      '--url',
      system.apiUrl,
      '--header',
      `X-API-Key: ${key}`,
      '--checks',
      'all',
      '--phases',
      'examples,coverage,fuzzing',
      '--include-path-regex',
      '^/api/v1/payments(/\\{id\\})?$',
      '--max-examples',
      '5',
    ]);
    console.log(`negative control: exit ${run.code}, failed: ${[...run.failures].join('; ')}`);
    expect(run.code, digest(run)).not.toBe(0);
    // Each lie is caught by the check that judges it, on the operation it was told about.
    expect([...run.failures], digest(run)).toEqual(
      expect.arrayContaining(['response_schema_conformance POST /api/v1/payments', 'status_code_conformance GET /api/v1/payments/{id}']),
    );
  });
});

interface Recorder {
  label: string;
  checks?: Record<string, Array<{ name: string; status: string; failure_info?: { failure?: { operation?: string } } }>>;
}

interface OpenApi {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, { responses: Record<string, unknown> } | undefined>>;
}
