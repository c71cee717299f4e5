import { eq } from 'drizzle-orm';
import type { ConnectorRef } from '../../common/connector-route.js';
import type { ConnectorKind } from '../../common/vocabulary.js';
import type { Database } from '../../db/client.js';
import { connectorAccounts } from '../../db/schema.js';
import { ConnectorUnavailableError, type Connector } from './connector.js';

export interface ConnectorDirectoryOptions {
  db: Database;
  /** The built-in simulator; simulator accounts share its ledger (each attempt has its own row). */
  simulator: Connector;
  /** Opens an account's sealed credentials (common/credential-box.ts). */
  openCredentials: (sealed: string) => Record<string, string>;
  /** Builds a processor's connector from its opened credentials. */
  processors: Partial<Record<Exclude<ConnectorKind, 'simulator'>, (credentials: Record<string, string>) => Connector>>;
}

export interface ConnectorDirectory {
  get(ref: ConnectorRef): Promise<Connector>;
}

/**
 * Finds the connector of an account. Each call reads the account row (by primary key), so new
 * credentials apply at once; the opened connector is reused while the row is unchanged.
 */
export function createConnectorDirectory(options: ConnectorDirectoryOptions): ConnectorDirectory {
  const opened = new Map<string, { updatedAt: number; connector: Connector }>();
  return {
    async get(ref) {
      if (ref.accountId === null) return options.simulator;
      const [account] = await options.db.select().from(connectorAccounts).where(eq(connectorAccounts.id, ref.accountId)).limit(1);
      // Removed after the payment was routed to it: it still holds the payment's money, so it is used.
      if (!account) throw new ConnectorUnavailableError(`connector account ${ref.accountId} does not exist`);
      if (account.kind === 'simulator') return options.simulator;
      const cached = opened.get(account.id);
      if (cached && cached.updatedAt === account.updatedAt.getTime()) return cached.connector;
      const build = options.processors[account.kind];
      if (!build) throw new ConnectorUnavailableError(`no ${account.kind} connector in this worker`);
      if (account.sealedCredentials === null) throw new ConnectorUnavailableError(`connector account ${account.id} has no credentials`);
      let connector: Connector;
      try {
        connector = build(options.openCredentials(account.sealedCredentials));
      } catch (err) {
        // Sealed with a key this process does not hold (or damaged): nothing can be sent with them.
        throw new ConnectorUnavailableError(
          `connector account ${account.id}: credentials cannot be opened (${err instanceof Error ? err.message : String(err)})`,
        );
      }
      opened.set(account.id, { updatedAt: account.updatedAt.getTime(), connector });
      return connector;
    },
  };
}
