import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, temporalAddress, type Config } from '../common/config.js';

/**
 * How every part of the system reaches Temporal: the options `Connection.connect` (client) and
 * `NativeConnection.connect` (worker) both take, so the API, the worker and the tools connect the
 * same way. `tls` undefined is plaintext.
 */
export interface TemporalConnectionSettings {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * The settings the config names, with the certificate files read now, once: a missing or
 * unreadable file stops the start with its variable's name rather than failing each connection.
 */
export function temporalConnectionSettings(config: Config, address: string = temporalAddress(config)): TemporalConnectionSettings {
  const apiKey = config.TEMPORAL_API_KEY;
  if (!config.TEMPORAL_TLS) return { address, ...(apiKey ? { apiKey } : {}) };
  const tls: TLSConfig = {};
  if (config.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  if (config.TEMPORAL_TLS_SERVER_CA_CERT_PATH) tls.serverRootCACertificate = readPem(config, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  if (config.TEMPORAL_TLS_CLIENT_CERT_PATH) {
    tls.clientCertPair = { crt: readPem(config, 'TEMPORAL_TLS_CLIENT_CERT_PATH'), key: readPem(config, 'TEMPORAL_TLS_CLIENT_KEY_PATH') };
  }
  return { address, tls, ...(apiKey ? { apiKey } : {}) };
}

/** For messages: where, and whether over TLS (a TLS failure reads very differently from a refused port). */
export function describeTemporalConnection(settings: TemporalConnectionSettings): string {
  return `${settings.address}${settings.tls ? ' over TLS' : ''}`;
}

type PemVariable = 'TEMPORAL_TLS_SERVER_CA_CERT_PATH' | 'TEMPORAL_TLS_CLIENT_CERT_PATH' | 'TEMPORAL_TLS_CLIENT_KEY_PATH';

function readPem(config: Config, name: PemVariable): Buffer {
  const file = config[name]!;
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `invalid configuration: ${name}=${JSON.stringify(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  // The SDKs' own errors for a non-PEM file name neither the file nor the variable.
  if (!content.includes('-----BEGIN ')) throw new ConfigError(`invalid configuration: ${name}=${JSON.stringify(file)}: is not a PEM file`);
  return content;
}
