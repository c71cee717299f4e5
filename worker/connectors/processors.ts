import type { Config } from '../../common/config.js';
import { open, type Keyring } from '../../common/credential-box.js';
import { ConnectorUnavailableError } from './connector.js';
import type { ConnectorDirectoryOptions } from './directory.js';
import { createStripeConnector } from './stripe.js';

/**
 * How this process builds the processors merchants' accounts name, and opens their credentials:
 * one place for the worker and the reconciliation CLI.
 */
export function processorOptions(
  config: Pick<Config, 'STRIPE_API_URL' | 'CONNECTOR_TIMEOUT_MS'>,
  keyring: Keyring | undefined,
): Pick<ConnectorDirectoryOptions, 'processors' | 'openCredentials'> {
  return {
    openCredentials: (sealed) => {
      // Without keys a sealed account cannot be used: unavailable, so a route moves on unsent.
      if (!keyring) throw new ConnectorUnavailableError('this process has no CONNECTOR_KEYS to open connector credentials');
      return open(keyring, sealed) as Record<string, string>;
    },
    processors: {
      stripe: (credentials) =>
        createStripeConnector({
          secretKey: credentials.secretKey ?? '',
          timeoutMs: config.CONNECTOR_TIMEOUT_MS,
          ...(config.STRIPE_API_URL ? { apiUrl: config.STRIPE_API_URL } : {}),
        }),
    },
  };
}
