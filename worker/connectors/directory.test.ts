import { describe, expect, it } from 'vitest';
import { newMasterKeyEntry, open, parseKeyring, seal } from '../../common/credential-box.js';
import type { Database } from '../../db/client.js';
import { ConnectorUnavailableError, type Connector } from './connector.js';
import { createConnectorDirectory } from './directory.js';

/**
 * Credentials a worker cannot open (found by the hostile review of issue 20): nothing can be sent
 * with them, so they are unavailable. As a plain Error (unknown outcome) the route would settle
 * through the same directory, failing the same way without limit: the payment would never move on.
 */

/** A database whose only query is the directory's account read; it answers with `row`. */
function dbAnswering(row: Record<string, unknown>): Database {
  const chain: Record<string, unknown> = {};
  for (const step of ['select', 'from', 'where']) chain[step] = () => chain;
  chain.limit = async () => [row];
  return chain as unknown as Database;
}

describe('the connector directory: an account whose credentials this worker cannot open', () => {
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
