import { describe, expect, it } from 'vitest';
import { newMasterKeyEntry, open, parseKeyring, seal } from '../../common/credential-box.js';
import type { Database } from '../../db/client.js';
import { ConnectorUnavailableError, type Connector } from './connector.js';
import { createConnectorDirectory } from './directory.js';

/**
 * Review of issue 20: credentials a worker cannot open. The request is provably never sent, but
 * directory.ts lets the CredentialBoxError through as a plain Error: connector-calls.ts calls that
 * an unknown outcome, so the route retries it, then settles it through the same directory, which
 * fails the same way, and settle is retried without limit: the payment never moves on.
 */

/** A database whose only query is the directory's account read; it answers with `row`. */
function dbAnswering(row: Record<string, unknown>): Database {
  const chain: Record<string, unknown> = {};
  for (const step of ['select', 'from', 'where']) chain[step] = () => chain;
  chain.limit = async () => [row];
  return chain as unknown as Database;
}

describe('review: a connector account whose credentials this worker cannot open', () => {
  it('regression (hostile review): credentials sealed with a master key CONNECTOR_KEYS no longer holds (rotation) throw a plain Error (unknown outcome) instead of ConnectorUnavailableError: the payment is stuck settling for ever instead of failing over', async () => {
    const retired = parseKeyring(newMasterKeyEntry('old'));
    const current = parseKeyring(newMasterKeyEntry('new'));
    const { sealed } = seal(retired, { secretKey: 'sk_test_review' });
    const stripe = { kind: 'stripe' } as Connector;
    const directory = createConnectorDirectory({
      db: dbAnswering({ id: 'ca_1', kind: 'stripe', sealedCredentials: sealed, updatedAt: new Date(0), removedAt: null }),
      simulator: { kind: 'simulator' } as Connector,
      openCredentials: (text) => open(current, text) as Record<string, string>,
      processors: { stripe: () => stripe },
    });
    await expect(directory.get({ accountId: 'ca_1', kind: 'stripe' })).rejects.toBeInstanceOf(ConnectorUnavailableError);
  });
});
