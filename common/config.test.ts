import { describe, expect, it } from 'vitest';
import { childEnvironment, ConfigError, databaseUrl, parseConfig, temporalAddress } from './config.js';

describe('config', () => {
  it('needs no variables: defaults serve the embedded mode', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ PORT: 8080, WEB_PORT: 3000, DATA_DIR: '.data', TEMPORAL_NAMESPACE: 'default' });
    expect(databaseUrl(config)).toBe('postgres://postgres:postgres@127.0.0.1:5433/payments');
    expect(temporalAddress(config)).toBe('127.0.0.1:7233');
  });

  it('a manual capture window of 7 days unless told otherwise', () => {
    expect(parseConfig({}).CAPTURE_WINDOW).toBe(7 * 86_400_000);
    expect(parseConfig({ CAPTURE_WINDOW: '36h' }).CAPTURE_WINDOW).toBe(36 * 3_600_000);
  });

  it('uses external services when given', () => {
    const config = parseConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x', TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(databaseUrl(config)).toBe('postgres://u:p@db:5432/x');
    expect(temporalAddress(config)).toBe('temporal:7233');
  });

  it.each([
    [{ PORT: 'abc' }, /^invalid configuration: PORT="abc": /],
    [{ PORT: '70000' }, /PORT="70000": .*65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL="mysql:\/\/x": must start with postgres:\/\/ or postgresql:\/\//],
    [{ TEMPORAL_ADDRESS: 'http://localhost:7233' }, /TEMPORAL_ADDRESS=.*must be host:port/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud"/],
    [{ CAPTURE_WINDOW: '0' }, /CAPTURE_WINDOW="0": must be a positive duration/],
    [{ CAPTURE_WINDOW: 'a week' }, /CAPTURE_WINDOW="a week": must be a positive duration/],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    try {
      parseConfig(env);
    } catch (err) {
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it.each([
    [{}, 'http://127.0.0.1:8080'],
    [{ HOST: '0.0.0.0', PORT: '9000' }, 'http://127.0.0.1:9000'],
    [{ HOST: '::' }, 'http://127.0.0.1:8080'],
    [{ HOST: '::1' }, 'http://[::1]:8080'],
    [{ HOST: '10.1.2.3' }, 'http://10.1.2.3:8080'],
    [{ HOST: '10.1.2.3', API_URL: 'https://api.example.com' }, 'https://api.example.com'],
  ])('resolves API_URL for %j to where this host reaches its own API', (env, url) => {
    expect(parseConfig(env).API_URL).toBe(url);
  });

  it("gives a child this process's environment with the given values on top, without writing its own", () => {
    const path = childEnvironment().PATH;
    expect(path).toBeTruthy();
    const env = childEnvironment({ PATH: '/nowhere', API_URL: 'http://127.0.0.1:1', HOME: undefined });
    expect(env).toMatchObject({ PATH: '/nowhere', API_URL: 'http://127.0.0.1:1' });
    expect('HOME' in env).toBe(false);
    expect(childEnvironment().PATH).toBe(path);
    expect(childEnvironment().API_URL).not.toBe('http://127.0.0.1:1');
  });

  describe('Temporal TLS and API key', () => {
    it('is plaintext with none given, and TLS as soon as any TLS setting or an API key is', () => {
      expect(parseConfig({}).TEMPORAL_TLS).toBe(false);
      expect(parseConfig({ TEMPORAL_API_KEY: 'k' }).TEMPORAL_TLS).toBe(true);
      expect(parseConfig({ TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }).TEMPORAL_TLS).toBe(true);
      expect(parseConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' }).TEMPORAL_TLS).toBe(true);
      expect(parseConfig({ TEMPORAL_TLS: 'true' }).TEMPORAL_TLS).toBe(true);
      // A plaintext local proxy that adds TLS itself may still want the key sent.
      expect(parseConfig({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' }).TEMPORAL_TLS).toBe(false);
      // An empty line in an env file is unset, not a setting.
      expect(parseConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '', TEMPORAL_API_KEY: '' }).TEMPORAL_TLS).toBe(false);
    });

    it.each([
      [{ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' }, /TEMPORAL_TLS_CLIENT_CERT_PATH="\/c.pem": needs TEMPORAL_TLS_CLIENT_KEY_PATH too/],
      [{ TEMPORAL_TLS_CLIENT_KEY_PATH: '/k.pem' }, /TEMPORAL_TLS_CLIENT_KEY_PATH="\/k.pem": needs TEMPORAL_TLS_CLIENT_CERT_PATH too/],
      [
        { TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' },
        /TEMPORAL_TLS="false": is false, but TEMPORAL_TLS_\* settings are given/,
      ],
      [{ TEMPORAL_TLS: 'yes' }, /TEMPORAL_TLS="yes"/],
    ])('refuses %j naming the variable', (env, message) => {
      expect(() => parseConfig(env)).toThrow(message);
    });

    it('accepts a certificate with its key', () => {
      expect(parseConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/k.pem' })).toMatchObject({
        TEMPORAL_TLS: true,
      });
    });

    it('never quotes the API key in an error about another variable', () => {
      expect(() => parseConfig({ TEMPORAL_API_KEY: 'secret-key-value', PORT: 'x' })).toThrow(/^(?!.*secret-key-value)/);
    });
  });
});
