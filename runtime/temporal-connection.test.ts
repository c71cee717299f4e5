import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../common/config.js';
import { describeTemporalConnection, temporalConnectionSettings } from './temporal-connection.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-connection-'));
const pem = (name: string, label: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, `-----BEGIN ${label}-----\n${name}\n-----END ${label}-----\n`);
  return file;
};
const ca = pem('ca.pem', 'CERTIFICATE');
const cert = pem('client.pem', 'CERTIFICATE');
const key = pem('client.key', 'PRIVATE KEY');

describe('Temporal connection settings', () => {
  it('are the plain address by default, as the dev server wants', () => {
    expect(temporalConnectionSettings(parseConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }))).toEqual({ address: 'temporal:7233' });
  });

  it('carry the CA, the server name, the client pair (read from their files) and the API key', () => {
    const settings = temporalConnectionSettings(
      parseConfig({
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
        TEMPORAL_TLS_SERVER_NAME: 'frontend.internal',
        TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: key,
        TEMPORAL_API_KEY: 'the-key',
      }),
    );
    expect(settings.address).toBe('ns.acct.tmprl.cloud:7233');
    expect(settings.apiKey).toBe('the-key');
    expect(settings.tls?.serverNameOverride).toBe('frontend.internal');
    expect(String(settings.tls?.serverRootCACertificate)).toContain('ca.pem');
    expect(String(settings.tls?.clientCertPair?.crt)).toContain('client.pem');
    expect(String(settings.tls?.clientCertPair?.key)).toContain('client.key');
    expect(describeTemporalConnection(settings)).toBe('ns.acct.tmprl.cloud:7233 over TLS');
  });

  it("use the system's roots when only an API key is given (Temporal Cloud)", () => {
    expect(temporalConnectionSettings(parseConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_ADDRESS: 'a:1' }))).toEqual({
      address: 'a:1',
      tls: {},
      apiKey: 'k',
    });
  });

  it('stop at start naming the variable whose file is missing or not PEM', () => {
    const missing = () => temporalConnectionSettings(parseConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'nope.pem') }));
    expect(missing).toThrow(ConfigError);
    expect(missing).toThrow(/TEMPORAL_TLS_SERVER_CA_CERT_PATH=".*nope\.pem": cannot read it \(ENOENT\)/);
    const notPem = path.join(dir, 'key.txt');
    writeFileSync(notPem, 'not a key');
    expect(() =>
      temporalConnectionSettings(parseConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: notPem })),
    ).toThrow(/TEMPORAL_TLS_CLIENT_KEY_PATH=".*key\.txt": is not a PEM file/);
  });
});
