import { TRPCError } from '@trpc/server';
import type { Config } from '../common/config.js';
import {
  connectorInputProblem,
  credentialsHint,
  MAX_CONNECTOR_ACCOUNTS,
  UPDATABLE_CONNECTOR_FIELDS,
  type ConnectorRules,
  type CreateConnectorAccountInput,
  type UpdateConnectorAccountInput,
} from '../common/connector-account-input.js';
import { loadKeyring, seal, type Keyring } from '../common/credential-box.js';
import type { Logger } from '../common/logger.js';
import type { PaymentMethodType } from '../common/vocabulary.js';
import { ulid } from '../common/ulid.js';
import type { Database } from '../db/client.js';
import {
  findConnectorAccount,
  insertConnectorAccount,
  listConnectorAccounts,
  moveConnectorAccount,
  removeConnectorAccount,
  updateConnectorAccount,
  withMerchantAccounts,
  type ConnectorAccountRow,
} from '../db/connector-accounts.js';

/** Connector accounts of one merchant; what leaves here never holds credentials, only their hint. */

export interface ConnectorContext {
  db: Database;
  config: Pick<Config, 'CONNECTOR_KEYS' | 'NODE_ENV' | 'DATA_DIR'>;
  logger: Pick<Logger, 'warn'>;
  merchantId: string;
}

/** The fields a client sees: an explicit list, so the sealed blob can never slip into an answer. */
export function connectorAccountView(row: ConnectorAccountRow) {
  return {
    id: row.id,
    kind: row.kind,
    label: row.label,
    position: row.position,
    rules: {
      currencies: row.currencies,
      minAmount: row.minAmount,
      maxAmount: row.maxAmount,
      // The column holds only what the input schema let through.
      paymentMethodTypes: row.paymentMethodTypes as PaymentMethodType[] | null,
    },
    credentialsHint: row.credentialsHint,
    removedAt: row.removedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
export type ConnectorAccountView = ReturnType<typeof connectorAccountView>;

// One keyring per configuration: a development key is read (or generated) once per process.
const keyrings = new WeakMap<object, Promise<Keyring | undefined>>();

async function keyringFor(ctx: ConnectorContext): Promise<Keyring> {
  let keyring = keyrings.get(ctx.config);
  if (!keyring) {
    keyring = loadKeyring(ctx.config, ctx.logger);
    keyrings.set(ctx.config, keyring);
  }
  const ring = await keyring;
  if (!ring) {
    throw new TRPCError({
      code: 'CONFLICT',
      message:
        'this deployment cannot store connector credentials: its operator must set CONNECTOR_KEYS (id:base64 of 32 bytes) first; simulator accounts need none',
    });
  }
  return ring;
}

async function sealedSecret(ctx: ConnectorContext, secretKey: string) {
  const { sealed, keyId } = seal(await keyringFor(ctx), { secretKey });
  return { sealedCredentials: sealed, credentialsKeyId: keyId, credentialsHint: credentialsHint(secretKey) };
}

function ruleColumns(rules: ConnectorRules | undefined) {
  return {
    currencies: rules?.currencies ?? null,
    minAmount: rules?.minAmount ?? null,
    maxAmount: rules?.maxAmount ?? null,
    paymentMethodTypes: rules?.paymentMethodTypes ?? null,
  };
}

/** Fields that contradict each other or the account: well-formed, so not a 400, but never stored. */
function assertConsistent(input: Parameters<typeof connectorInputProblem>[0]) {
  const problem = connectorInputProblem(input);
  if (problem) throw new TRPCError({ code: 'UNPROCESSABLE_CONTENT', message: problem });
}

export async function listConnectors(ctx: ConnectorContext): Promise<ConnectorAccountView[]> {
  return (await listConnectorAccounts(ctx.db, ctx.merchantId)).map(connectorAccountView);
}

export async function getConnector(ctx: ConnectorContext, id: string): Promise<ConnectorAccountRow> {
  const row = await findConnectorAccount(ctx.db, ctx.merchantId, id);
  // Another merchant's account is as unknown as one that never existed.
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no connector account with id ${id}` });
  return row;
}

export async function createConnector(ctx: ConnectorContext, input: CreateConnectorAccountInput): Promise<ConnectorAccountView> {
  assertConsistent(input);
  // Sealed before the transaction: no lock is held while a development key is generated.
  const credentials = input.credentials ? await sealedSecret(ctx, input.credentials.secretKey) : {};
  const row = await withMerchantAccounts(ctx.db, ctx.merchantId, async (tx, count) => {
    if (count >= MAX_CONNECTOR_ACCOUNTS) {
      throw new TRPCError({
        code: 'CONFLICT',
        message: `a merchant has at most ${MAX_CONNECTOR_ACCOUNTS} connector accounts; remove one first`,
      });
    }
    return insertConnectorAccount(
      tx,
      ctx.merchantId,
      count,
      { id: `ca_${ulid()}`, kind: input.kind, label: input.label, ...ruleColumns(input.rules), ...credentials },
      // Past the end means last: a client need not know how many accounts there are.
      Math.min(input.position ?? count + 1, count + 1),
    );
  });
  return connectorAccountView(row);
}

export async function updateConnector(ctx: ConnectorContext, input: UpdateConnectorAccountInput): Promise<ConnectorAccountView> {
  if (!UPDATABLE_CONNECTOR_FIELDS.some((field) => input[field] !== undefined)) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `input: the change is empty; give at least one of ${UPDATABLE_CONNECTOR_FIELDS.join(', ')}`,
    });
  }
  const before = await getConnector(ctx, input.id);
  if (before.removedAt)
    throw new TRPCError({ code: 'CONFLICT', message: `connector account ${input.id} was removed; add a new one instead` });
  // A stripe account keeps its key unless one is sent; a key sent to another kind is refused.
  assertConsistent({ kind: before.kind, credentials: before.kind === 'stripe' ? 'kept' : input.credentials, rules: input.rules });
  const credentials = input.credentials ? await sealedSecret(ctx, input.credentials.secretKey) : {};
  const row = await withMerchantAccounts(ctx.db, ctx.merchantId, async (tx, count) => {
    // Read again under the lock: a concurrent move or removal may have changed it.
    const current = await findConnectorAccount(tx, ctx.merchantId, input.id);
    if (!current || current.removedAt) throw new TRPCError({ code: 'CONFLICT', message: `connector account ${input.id} was just removed` });
    const position = input.position === undefined ? undefined : Math.min(input.position, count);
    if (position !== undefined) await moveConnectorAccount(tx, ctx.merchantId, current.position, position);
    return updateConnectorAccount(tx, ctx.merchantId, input.id, {
      ...(input.label !== undefined ? { label: input.label } : {}),
      ...(input.rules !== undefined ? ruleColumns(input.rules) : {}),
      ...(position !== undefined ? { position } : {}),
      ...credentials,
    });
  });
  return connectorAccountView(row);
}

/** Stops routing through it; the row stays so the payments it took still name it. Removing twice answers the same. */
export async function removeConnector(ctx: ConnectorContext, id: string): Promise<ConnectorAccountView> {
  await getConnector(ctx, id);
  const row = await withMerchantAccounts(ctx.db, ctx.merchantId, async (tx) => {
    const current = (await findConnectorAccount(tx, ctx.merchantId, id))!;
    return current.removedAt ? current : removeConnectorAccount(tx, current);
  });
  return connectorAccountView(row);
}
