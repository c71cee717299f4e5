import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/**
 * The commands the specifications and our README document, run with curl as a reader would paste
 * them. Only what cannot be the same here is rewritten: the host (the test API's port instead of
 * 8080 or the NestJS system's 3001), the placeholders (`{id}`, `pay_…`) by the id the previous create
 * returned, and for the NestJS system its made-up key and payment method id by real ones (our README
 * says why they differ).
 */
const run = promisify(execFile);
const SPECS = new URL('../../../shared/specs/', import.meta.url);

/** Every `curl` command in the markdown's shell blocks: continuations joined, quoted newlines kept. */
export function curlCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const commands: string[] = [];
  for (const block of blocks) {
    const lines = block.replace(/\\\n\s*/g, ' ').split('\n');
    for (let i = 0; i < lines.length; i++) {
      let command = lines[i]!.trim();
      if (!command.startsWith('curl ')) continue;
      // A single-quoted JSON body may span lines: read on until the quotes balance.
      while ((command.match(/'/g)?.length ?? 0) % 2 === 1 && i + 1 < lines.length) command += `\n${lines[++i]}`;
      commands.push(command);
    }
  }
  return commands;
}

let system: TestSystem;
let lastId = '';
let lastConnectorId = '';

beforeAll(async () => {
  // As `npm start` runs: a request without a key acts as the demo merchant.
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'true' } });
});
afterAll(() => system?.stop());

interface Outcome {
  command: string;
  status: number;
  body: string;
}

async function runDocumented(command: string, replace: Array<[string | RegExp, string]> = []): Promise<Outcome> {
  let line = command
    .replace(/https?:\/\/localhost:(8080|3001)|\blocalhost:(8080|3001)/g, system.apiUrl)
    .replace(/\{id\}|pay_…/g, () => lastId)
    .replace(/ca_…/g, () => lastConnectorId);
  for (const [from, to] of replace) line = line.replace(from, to);
  // Comments after the command are prose.
  line = line.replace(/\s+#\s.*$/, '');
  // The status comes last on its own line; everything else is as written.
  const { stdout } = await run('bash', ['-c', `${line} -sS -w '\\n%{http_code}'`], { timeout: 20_000 });
  const lines = stdout.split('\n');
  const status = Number(lines.pop());
  const body = lines.join('\n');
  const id = /"id"\s*:\s*"(pay_[0-9A-Z]{26})"/.exec(body)?.[1];
  if (id && /-X\s*POST\b.*\/(payment|payments)\b(?!\/)/.test(line)) lastId = id;
  const connectorId = /"id"\s*:\s*"(ca_[0-9A-Z]{26})"/.exec(body)?.[1];
  if (connectorId && /-X\s*POST\b.*\/connectors\b/.test(line)) lastConnectorId = connectorId;
  return { command: line, status, body };
}

describe('the Go specification, verbatim', () => {
  it('create, get, cancel and list work as its API Usage section writes them', async () => {
    const commands = curlCommands(await readFile(new URL('go-temporal-payments.md', SPECS), 'utf8')).filter((c) => c.includes(':8080'));
    expect(commands.length).toBe(4);
    const [create, get, cancel, list] = commands as [string, string, string, string];
    expect(cancel).toBe('curl -X POST http://localhost:8080/payment/{id}/cancel');

    const created = await runDocumented(create);
    expect(created.status).toBe(200);
    expect(Object.keys(JSON.parse(created.body))).toEqual(['id']);
    const running = await runDocumented(get);
    expect(running.status).toBe(200);
    expect(JSON.parse(running.body)).toMatchObject({ id: lastId, status: 'Running', result: null });
    const canceled = await runDocumented(cancel);
    expect(canceled.status).toBe(200);
    expect(JSON.parse(canceled.body)).toMatchObject({ id: lastId, status: 'Canceled' });
    const listed = await runDocumented(list);
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body)).toEqual(expect.arrayContaining([expect.objectContaining({ id: lastId, status: 'Canceled' })]));
  });

  it('negative control: the runner reports what a command really answered', async () => {
    lastId = 'pay_01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const unknown = await runDocumented('curl http://localhost:8080/payment/{id}');
    expect(unknown.status).toBe(404);
  });
});

describe('the NestJS specification', () => {
  it('its create (metadata, X-API-Key) answers 201 and its health check answers', async () => {
    const spec = await readFile(new URL('nestjs-aws-temporal-payments.md', SPECS), 'utf8');
    const commands = curlCommands(spec).filter((c) => c.includes(':3001/api/v1'));
    const creates = commands.filter((c) => c.includes('-X POST'));
    const health = commands.filter((c) => c.endsWith('/api/v1/health'));
    expect(creates.length).toBe(2);
    expect(health.length).toBe(1);

    const merchant = await createMerchant(system.database.db, 'From NestJS');
    const method = await fetch(`${system.apiUrl}/api/v1/payment-methods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': merchant.apiKey.key },
      body: JSON.stringify({ type: 'card', brand: 'visa', last4: '4242' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const keys: Array<[RegExp, string]> = [
      [/pk_[a-z0-9_]+/, merchant.apiKey.key],
      [/"paymentMethodId": "[0-9a-f-]{36}"/, `"paymentMethodId": "${method.id}"`],
    ];
    for (const create of creates) {
      const res = await runDocumented(create, keys);
      expect(res.status, res.body).toBe(201);
      const body = JSON.parse(res.body);
      expect(body).toMatchObject({ status: 'pending', paymentMethodId: method.id, reference: expect.stringMatching(/^PAY-/) });
      expect(Object.keys(body.metadata)).toContain('orderId');
    }
    const healthy = await runDocumented(health[0]!);
    expect(healthy.status).toBe(200);
    expect(JSON.parse(healthy.body)).toMatchObject({ status: 'ready' });
  });
});

describe('our README', () => {
  it('every curl command of the quick start answers 2xx', async () => {
    const commands = curlCommands(await readFile(new URL('../../README.md', import.meta.url), 'utf8')).filter((c) =>
      c.includes('localhost:8080'),
    );
    expect(commands.length).toBeGreaterThan(10);
    // As a merchant of its own: the README adds connector accounts, which would route the demo
    // merchant's payments of every other test file running meanwhile.
    const merchant = await createMerchant(system.database.db, 'From the README');
    const failures: string[] = [];
    for (const command of commands) {
      const res = await runDocumented(command, [[/^curl /, `curl -H 'x-api-key: ${merchant.apiKey.key}' `]]);
      if (res.status < 200 || res.status >= 300) failures.push(`${res.command} → ${res.status} ${res.body.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });
});
