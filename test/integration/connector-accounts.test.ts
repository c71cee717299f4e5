import { childEnvironment } from '../../common/config.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConnector } from '../../api/connector-commands.js';
import { createMerchant } from '../../api/merchants.js';
import type { AppRouter } from '../../api/router.js';
import { newMasterKeyEntry, open, parseKeyring } from '../../common/credential-box.js';
import { createLogger } from '../../common/logger.js';
import { connectorAccounts } from '../../db/schema.js';
import { restCaller, startTestSystem, type TestSystem } from '../harness.js';

const run = promisify(execFile);
const KEY_A = newMasterKeyEntry('a');
const KEY_B = newMasterKeyEntry('b');
/** Recognizable, and of a form (restricted key) a log line could carry. */
const SECRET = `rk_test_${randomBytes(12).toString('hex')}Zq42`;

const lines: string[] = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});

let system: TestSystem;
let a: ReturnType<typeof restCaller>;
let b: ReturnType<typeof restCaller>;
let merchantA: string;

beforeAll(async () => {
  system = await startTestSystem({
    logger: createLogger({ LOG_LEVEL: 'debug', NODE_ENV: 'test' }, capture),
    env: { ANONYMOUS_AS_DEMO: 'false', CONNECTOR_KEYS: KEY_A },
  });
  const ma = await createMerchant(system.database.db, 'Connectors A');
  const mb = await createMerchant(system.database.db, 'Connectors B');
  merchantA = ma.id;
  a = restCaller(system.apiUrl, { 'x-api-key': ma.apiKey.key });
  b = restCaller(system.apiUrl, { 'x-api-key': mb.apiKey.key });
});
afterAll(() => system?.stop());

async function sealedOf(id: string): Promise<string | null> {
  const [row] = await system.database.db
    .select({ sealed: connectorAccounts.sealedCredentials })
    .from(connectorAccounts)
    .where(eq(connectorAccounts.id, id));
  return row!.sealed;
}

describe('connector accounts over REST', () => {
  it('creates a stripe account whose credentials are sealed, never answered and never logged', async () => {
    const created = await a('POST', '/api/v1/connectors', {
      kind: 'stripe',
      label: 'Stripe EU',
      credentials: { secretKey: SECRET },
      rules: { currencies: ['eur'], minAmount: 100, maxAmount: 50_000, paymentMethodTypes: ['card'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'stripe',
      label: 'Stripe EU',
      position: 1,
      credentialsHint: 'rk_test_…Zq42',
      rules: { currencies: ['EUR'], minAmount: 100, maxAmount: 50_000, paymentMethodTypes: ['card'] },
    });
    expect(created.body.id).toMatch(/^ca_/);
    const listed = await a('GET', '/api/v1/connectors');
    for (const text of [created.text, listed.text]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toMatch(/sealed|secretKey|credentials"/);
    }

    const sealed = (await sealedOf(created.body.id))!;
    expect(sealed).not.toContain(SECRET);
    expect(Buffer.from(sealed, 'base64').toString()).not.toContain(SECRET);
    expect(open(parseKeyring(KEY_A), sealed)).toEqual({ secretKey: SECRET });
    // Another master key under the same id opens nothing.
    expect(() => open(parseKeyring(newMasterKeyEntry('a')), sealed)).toThrow(/sealed with key a do not open/);

    // Errors on the same request path log too: a refused update with the secret in its body.
    expect((await a('PATCH', `/api/v1/connectors/${created.body.id}`, { credentials: { secretKey: SECRET }, bogus: 1 })).status).toBe(400);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('refuses malformed input with a 400 and contradicting fields with a 422, each naming the field and the rule', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{ kind: 'stripe', label: 'x' }, 422, /credentials\.secretKey: is required for a stripe account/],
      [
        { kind: 'stripe', label: 'x', credentials: { secretKey: 'pk_test_12345678' } },
        400,
        /credentials\.secretKey: must be a Stripe secret or restricted key/,
      ],
      [{ kind: 'simulator', label: 'x', credentials: { secretKey: 'sk_test_12345678' } }, 422, /credentials: must be left out/],
      [
        { kind: 'simulator', label: 'x', rules: { minAmount: 500, maxAmount: 100 } },
        422,
        /rules\.maxAmount: must be at least rules\.minAmount/,
      ],
      [{ kind: 'simulator', label: 'x', rules: { currencies: ['EURO'] } }, 400, /rules\.currencies\.0: must be an ISO-4217/],
      [{ kind: 'simulator', label: 'x', rules: { paymentMethodTypes: ['cash'] } }, 400, /rules\.paymentMethodTypes\.0/],
      [{ kind: 'simulator', label: 'x', rules: { minAmount: -1 } }, 400, /rules\.minAmount/],
      [{ kind: 'simulator', label: 'x', position: 0 }, 400, /position: must be at least 1/],
      [{ kind: 'simulator', label: '' }, 400, /label: must not be empty/],
      [{ kind: 'adyen', label: 'x' }, 400, /kind/],
      [{ kind: 'simulator', label: 'x', extra: true }, 400, /unknown field "extra"/],
    ];
    for (const [body, status, message] of cases) {
      const answer = await a('POST', '/api/v1/connectors', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.message, JSON.stringify(body)).toMatch(message);
    }
    const { body: list } = await a('GET', '/api/v1/connectors');
    expect(list).toHaveLength(1);
    const empty = await a('PATCH', `/api/v1/connectors/${list[0].id}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/give at least one of label, credentials, rules, position/);
    const contradiction = await a('PATCH', `/api/v1/connectors/${list[0].id}`, { rules: { minAmount: 2, maxAmount: 1 } });
    expect(contradiction.status).toBe(422);
  });

  it("keeps positions dense, moves one, and treats another merchant's account as unknown", async () => {
    const second = (await a('POST', '/api/v1/connectors', { kind: 'simulator', label: 'Sim 2' })).body;
    const third = (await a('POST', '/api/v1/connectors', { kind: 'simulator', label: 'Sim 3' })).body;
    expect([second.position, third.position]).toEqual([2, 3]);
    // Past the end means last.
    const fourth = (await a('POST', '/api/v1/connectors', { kind: 'simulator', label: 'Sim 4', position: 40 })).body;
    expect(fourth.position).toBe(4);
    expect((await a('DELETE', `/api/v1/connectors/${fourth.id}`)).status).toBe(200);
    expect(second.credentialsHint).toBeNull();

    const moved = await a('PATCH', `/api/v1/connectors/${third.id}`, { position: 1, label: 'Sim first' });
    expect(moved.status).toBe(200);
    const order = (await a('GET', '/api/v1/connectors')).body.map((c: { label: string; position: number }) => [c.position, c.label]);
    expect(order).toEqual([
      [1, 'Sim first'],
      [2, 'Stripe EU'],
      [3, 'Sim 2'],
    ]);

    // Merchant B sees none of them and cannot touch them.
    expect((await b('GET', '/api/v1/connectors')).body).toEqual([]);
    expect((await b('PATCH', `/api/v1/connectors/${second.id}`, { label: 'mine' })).status).toBe(404);
    expect((await b('DELETE', `/api/v1/connectors/${second.id}`)).status).toBe(404);

    const removed = await a('DELETE', `/api/v1/connectors/${third.id}`);
    expect(removed.status).toBe(200);
    expect(removed.body.removedAt).not.toBeNull();
    expect((await a('DELETE', `/api/v1/connectors/${third.id}`)).status).toBe(200);
    const after = (await a('GET', '/api/v1/connectors')).body.map((c: { label: string; position: number }) => [c.position, c.label]);
    expect(after).toEqual([
      [1, 'Stripe EU'],
      [2, 'Sim 2'],
    ]);
    expect((await a('PATCH', `/api/v1/connectors/${third.id}`, { label: 'back' })).status).toBe(409);
  });

  it('replaces credentials by sealing the new ones', async () => {
    const [stripe] = (await a('GET', '/api/v1/connectors')).body;
    const before = await sealedOf(stripe.id);
    const next = 'sk_test_replacement000077';
    const updated = await a('PATCH', `/api/v1/connectors/${stripe.id}`, { credentials: { secretKey: next } });
    expect(updated.body.credentialsHint).toBe('sk_test_…0077');
    const after = (await sealedOf(stripe.id))!;
    expect(after).not.toBe(before);
    expect(open(parseKeyring(KEY_A), after)).toEqual({ secretKey: next });
  });
});

describe('connector accounts over tRPC', () => {
  it('lists and creates for the merchant of the key, and answers 404 for an unknown id', async () => {
    const merchant = await createMerchant(system.database.db, 'Connectors tRPC');
    const trpc = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${system.apiUrl}/trpc`, headers: { 'x-api-key': merchant.apiKey.key } })],
    });
    const created = await trpc.connectors.create.mutate({ kind: 'simulator', label: 'Sim', rules: { currencies: ['USD'] } });
    expect(await trpc.connectors.list.query()).toEqual([created]);
    const missing = await trpc.connectors.remove.mutate({ id: 'ca_01ARZ3NDEKTSV4RRFFQ69G5FAV' }).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(TRPCClientError);
    expect((missing as TRPCClientError<AppRouter>).data?.code).toBe('NOT_FOUND');
  });
});

describe('a deployment without CONNECTOR_KEYS', () => {
  it('refuses stripe accounts in production naming CONNECTOR_KEYS, and still takes the simulator', async () => {
    const ctx = {
      db: system.database.db,
      config: { NODE_ENV: 'production' as const, DATA_DIR: '/nonexistent', CONNECTOR_KEYS: undefined },
      logger: system.logger,
      merchantId: merchantA,
    };
    await expect(
      createConnector(ctx, { kind: 'stripe', label: 'S', credentials: { secretKey: 'sk_live_abcdefgh1234' } }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('CONNECTOR_KEYS'),
    });
    await expect(createConnector(ctx, { kind: 'simulator', label: 'Sim' })).resolves.toMatchObject({ kind: 'simulator' });
  });
});

describe('npm run connectors', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    run('node', ['--import', 'tsx', 'dev/connector-cli.ts', ...args], {
      env: childEnvironment({ DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'warn', ...env }),
      timeout: 60_000,
    }).catch((err: { code: number; stdout: string; stderr: string }) => ({ ...err, failed: true }));

  it('adds with the secret from the environment, lists hints only, and rotate-keys moves every account to the new key, once', async () => {
    const merchant = await createMerchant(system.database.db, 'Connectors CLI');
    const secret = `sk_test_${randomBytes(10).toString('hex')}`;
    // An empty route is said, not printed as nothing; an unknown option is one line and the usage.
    expect((await cli(['list', '--merchant', merchant.id], { CONNECTOR_KEYS: KEY_A })).stdout).toContain(
      'no connector accounts: payments go to the built-in simulator',
    );
    const unknown = await cli(['add', '--secret-key', secret], { CONNECTOR_KEYS: KEY_A });
    expect(unknown).toMatchObject({ failed: true });
    expect(unknown.stderr).toMatch(/Unknown option '--secret-key'[\s\S]*usage: connectors/);
    expect(unknown.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(unknown.stderr + unknown.stdout).not.toContain(secret);
    const added = await cli(
      [
        'add',
        '--merchant',
        merchant.id,
        '--kind',
        'stripe',
        '--label',
        'CLI Stripe',
        '--currencies',
        'EUR,USD',
        '--secret-key-env',
        'CLI_SECRET',
      ],
      { CONNECTOR_KEYS: KEY_A, CLI_SECRET: secret },
    );
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/^added ca_\w+ at position 1: stripe "CLI Stripe" sk_test_…/);
    const id = /added (ca_\w+)/.exec(added.stdout)![1]!;

    const listed = await cli(['list', '--merchant', merchant.id], { CONNECTOR_KEYS: KEY_A });
    expect(listed.stdout).toContain('currency EUR or USD, any amount, any payment method');
    expect(listed.stdout).not.toContain(secret);

    const rotated = await cli(['rotate-keys', '--merchant', merchant.id], { CONNECTOR_KEYS: `${KEY_B},${KEY_A}` });
    expect(rotated.stdout).toContain('rewrapped 1 account(s) to key b; 0 already on it; 0 could not be opened');
    const again = await cli(['rotate-keys', '--merchant', merchant.id], { CONNECTOR_KEYS: `${KEY_B},${KEY_A}` });
    expect(again.stdout).toContain('rewrapped 0 account(s) to key b; 1 already on it');

    // Key A can now be dropped: only B opens it.
    const sealed = (await sealedOf(id))!;
    expect(open(parseKeyring(KEY_B), sealed)).toEqual({ secretKey: secret });
    expect(() => open(parseKeyring(KEY_A), sealed)).toThrow(/sealed with key b, which CONNECTOR_KEYS does not hold/);
    const [row] = await system.database.db.select().from(connectorAccounts).where(eq(connectorAccounts.id, id));
    expect(row!.credentialsKeyId).toBe('b');

    // A key no longer listed is named, and the command fails rather than pretend.
    const lost = await cli(['rotate-keys', '--merchant', merchant.id], { CONNECTOR_KEYS: newMasterKeyEntry('c') });
    expect(lost).toMatchObject({ failed: true });
    expect(lost.stdout).toContain('1 could not be opened');
    expect(lost.stderr).toMatch(/sealed with key b, which CONNECTOR_KEYS does not hold/);

    // Another key under the same id (two development keys are both `dev`) is not "already on it".
    const impostor = await cli(['rotate-keys', '--merchant', merchant.id], { CONNECTOR_KEYS: newMasterKeyEntry('b') });
    expect(impostor).toMatchObject({ failed: true });
    expect(impostor.stdout).toContain('0 already on it; 1 could not be opened');
  });

  it('reads the secret from stdin when no variable is named, and refuses a bad one naming the rule', async () => {
    const merchant = await createMerchant(system.database.db, 'Connectors stdin');
    const child = execFile(
      'node',
      ['--import', 'tsx', 'dev/connector-cli.ts', 'add', '--merchant', merchant.id, '--kind', 'stripe', '--label', 'S'],
      {
        env: childEnvironment({ DATABASE_URL: inject('databaseUrl'), CONNECTOR_KEYS: KEY_A }),
      },
    );
    child.stdin!.end('pk_test_notasecretkey\n');
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/credentials\.secretKey: must be a Stripe secret or restricted key/);
    expect(stderr).not.toContain('pk_test_notasecretkey');
  });
});
