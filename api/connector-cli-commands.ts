import { parseArgs } from 'node:util';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Config } from '../common/config.js';
import { createConnectorAccountInput, describeRules } from '../common/connector-account-input.js';
import { CredentialBoxError, loadKeyring, open, rewrap } from '../common/credential-box.js';
import { StartupError } from '../common/startup-error.js';
import type { Database } from '../db/client.js';
import { replaceSealedCredentials, sealedAccounts } from '../db/connector-accounts.js';
import { createConnector, listConnectors, removeConnector, type ConnectorContext } from './connector-commands.js';
import { describeZodError } from './trpc.js';

// `npm run connectors -- …` in a checkout; `connectors …` in the api image.
export const CONNECTOR_USAGE = `usage: connectors <command>
  list --merchant <id>                                  the merchant's connector accounts in route order
  add --merchant <id> --kind simulator|stripe --label "Stripe EU"
      [--currencies EUR,USD] [--min-amount 100] [--max-amount 50000]
      [--payment-method-types card,bank_account] [--position 1]
      [--secret-key-env NAME]                           stripe: the secret key is read from the environment
                                                        variable NAME, else from the first line of stdin;
                                                        never from the command line (shell history, ps)
  remove --merchant <id> <account id>                   stop routing through it (kept for its payments)
  rotate-keys [--merchant <id>]                         rewrap every account not on the first CONNECTOR_KEYS key`;

export interface ConnectorCliEnvironment {
  openDatabase: () => Promise<{ db: Database; close(): Promise<void> }>;
  config: Pick<Config, 'CONNECTOR_KEYS' | 'NODE_ENV' | 'DATA_DIR'>;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  out: (line: string) => void;
}

/** Runs one connectors-CLI command against an open database; a refused input ends as one line naming the field. */
export async function runConnectorCommand(argv: string[], io: ConnectorCliEnvironment): Promise<void> {
  const { values, positionals } = parsedOrUsage(() =>
    parseArgs({
      args: argv,
      options: {
        merchant: { type: 'string' },
        kind: { type: 'string' },
        label: { type: 'string' },
        currencies: { type: 'string' },
        'min-amount': { type: 'string' },
        'max-amount': { type: 'string' },
        'payment-method-types': { type: 'string' },
        position: { type: 'string' },
        'secret-key-env': { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
    }),
  );
  const [command, arg] = positionals;
  if (values.help || !command) {
    io.out(CONNECTOR_USAGE);
    return;
  }
  if (!['list', 'add', 'remove', 'rotate-keys'].includes(command))
    throw new StartupError(`unknown command "${command}"\n${CONNECTOR_USAGE}`);
  const database = await io.openDatabase();
  const ctx = (merchantId: string | undefined): ConnectorContext => ({
    db: database.db,
    config: io.config,
    logger: { warn: (_: unknown, message?: string) => io.out(`note: ${message ?? ''}`) } as ConnectorContext['logger'],
    merchantId: required(merchantId, '--merchant'),
  });
  try {
    switch (command) {
      case 'list': {
        const accounts = await listConnectors(ctx(values.merchant));
        // Said, not silent: an empty route means the built-in simulator takes every payment.
        if (accounts.length === 0) io.out('no connector accounts: payments go to the built-in simulator');
        for (const a of accounts) {
          io.out([a.position, a.id, a.kind, a.label, describeRules(a.rules), a.credentialsHint ?? '-'].join('\t'));
        }
        break;
      }
      case 'add': {
        const secretKey = values.kind === 'stripe' ? await readSecret(values['secret-key-env'], io) : undefined;
        const input = createConnectorAccountInput.parse({
          kind: values.kind,
          label: values.label,
          ...(secretKey !== undefined ? { credentials: { secretKey } } : {}),
          rules: {
            ...(values.currencies ? { currencies: list(values.currencies) } : {}),
            ...(values['min-amount'] ? { minAmount: integer(values['min-amount'], '--min-amount') } : {}),
            ...(values['max-amount'] ? { maxAmount: integer(values['max-amount'], '--max-amount') } : {}),
            ...(values['payment-method-types'] ? { paymentMethodTypes: list(values['payment-method-types']) } : {}),
          },
          ...(values.position ? { position: integer(values.position, '--position') } : {}),
        });
        const account = await createConnector(ctx(values.merchant), input);
        io.out(
          `added ${account.id} at position ${account.position}: ${account.kind} "${account.label}" ${account.credentialsHint ?? ''}`.trimEnd(),
        );
        break;
      }
      case 'remove': {
        const account = await removeConnector(ctx(values.merchant), required(arg, 'the account id'));
        io.out(`removed ${account.id} (${account.label})`);
        break;
      }
      case 'rotate-keys':
        await rotateKeys(database.db, io, values.merchant);
        break;
    }
  } catch (err) {
    if (err instanceof ZodError) throw new StartupError(describeZodError(err));
    if (err instanceof TRPCError) throw new StartupError(err.message);
    throw err;
  } finally {
    await database.close();
  }
}

/**
 * Rewraps each account whose data key is wrapped by another key than the first of CONNECTOR_KEYS, and
 * checks that the others open with it. Running it again finds nothing to do; an account whose key is no longer listed is named and left
 * as it is (the command then fails, so the old key is not dropped while something needs it).
 */
async function rotateKeys(db: Database, io: ConnectorCliEnvironment, merchantId: string | undefined): Promise<void> {
  const keyring = await loadKeyring(io.config);
  if (!keyring)
    throw new StartupError('CONNECTOR_KEYS is not set: list the new key first, then the old ones (CONNECTOR_KEYS="new:…,old:…")');
  let rewrapped = 0;
  let current = 0;
  const failed: string[] = [];
  for (const account of await sealedAccounts(db, merchantId)) {
    try {
      if (account.keyId === keyring.currentId) {
        // Same id is not the same key (two development keys are both `dev`): prove it opens.
        open(keyring, account.sealedCredentials);
        current++;
        continue;
      }
      // A concurrent credentials update already sealed with the current key: nothing left to do for it.
      if (await replaceSealedCredentials(db, account.id, account.sealedCredentials, rewrap(keyring, account.sealedCredentials)))
        rewrapped++;
      else current++;
    } catch (err) {
      if (!(err instanceof CredentialBoxError)) throw err;
      failed.push(`${account.id}: ${err.message}`);
    }
  }
  io.out(`rewrapped ${rewrapped} account(s) to key ${keyring.currentId}; ${current} already on it; ${failed.length} could not be opened`);
  if (failed.length) throw new StartupError(`not rotated:\n  ${failed.join('\n  ')}`);
}

/** An unknown or malformed option is one line and the usage, not a stack trace. */
function parsedOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
      throw new StartupError(`${err.message}\n${CONNECTOR_USAGE}`);
    throw err;
  }
}

async function readSecret(variable: string | undefined, io: ConnectorCliEnvironment): Promise<string> {
  if (variable) {
    const value = io.env[variable];
    if (!value) throw new StartupError(`--secret-key-env ${variable}: that environment variable is not set`);
    return value.trim();
  }
  const line = (await io.readStdin()).split('\n')[0]?.trim();
  if (!line) throw new StartupError('a stripe account needs its secret key: pass --secret-key-env NAME or write it to stdin');
  return line;
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new StartupError(`${what} is required\n${CONNECTOR_USAGE}`);
  return value;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

function integer(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new StartupError(`${flag}: must be a whole number, not ${text}`);
  return Number(text);
}
