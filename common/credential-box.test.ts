import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { DEV_KEY_FILE, loadKeyring, newMasterKeyEntry, open, parseKeyring, rewrap, seal, sealedKeyId } from './credential-box.js';

const A = newMasterKeyEntry('a');
const B = newMasterKeyEntry('b');
const SECRET = { secretKey: 'sk_test_recognizable4242' };

describe('parseKeyring', () => {
  it('takes the first key as the current one and opens with all', () => {
    const ring = parseKeyring(`${B}, ${A}`);
    expect(ring.currentId).toBe('b');
    expect([...ring.keys.keys()]).toEqual(['b', 'a']);
  });

  it.each([
    ['', /CONNECTOR_KEYS: is empty/],
    ['nokey', /CONNECTOR_KEYS: entry 1 has no valid id/],
    [`a:${Buffer.alloc(16).toString('base64')}`, /entry 1 \(id a\) is not 32 bytes in base64/],
    [`${A},b:not base64!`, /entry 2 \(id b\) is not 32 bytes/],
    [`${A},${A}`, /id a is listed twice/],
  ])('refuses %j naming the variable and the rule', (text, message) => {
    expect(() => parseKeyring(text)).toThrow(message);
  });

  it('never echoes key material in its error', () => {
    const material = Buffer.alloc(31, 7).toString('base64');
    expect(() => parseKeyring(`x:${material}`)).toThrow(/id:base64/);
    try {
      parseKeyring(`x:${material}`);
    } catch (err) {
      expect((err as Error).message).not.toContain(material);
    }
  });
});

describe('CONNECTOR_KEYS in the configuration', () => {
  it('stops the process at load with one line naming the variable and the rule, never the material', () => {
    const material = Buffer.alloc(16, 9).toString('base64');
    expect(() => parseConfig({ CONNECTOR_KEYS: `k1:${material}` })).toThrow(
      /^invalid configuration: CONNECTOR_KEYS: entry 1 \(id k1\) is not 32 bytes in base64/,
    );
    expect(() => parseConfig({ CONNECTOR_KEYS: `k1:${material}` })).not.toThrow(material);
    expect(parseConfig({ CONNECTOR_KEYS: `${B},${A}` }).CONNECTOR_KEYS).toBe(`${B},${A}`);
    expect(parseConfig({ CONNECTOR_KEYS: '' }).CONNECTOR_KEYS).toBe('');
  });
});

describe('seal and open', () => {
  it('round-trips and never holds the secret in clear', () => {
    const ring = parseKeyring(A);
    const { sealed, keyId } = seal(ring, SECRET);
    expect(keyId).toBe('a');
    expect(sealed).not.toContain('recognizable');
    expect(Buffer.from(sealed, 'base64').toString()).not.toContain('recognizable');
    expect(open(ring, sealed)).toEqual(SECRET);
  });

  it('uses a fresh data key each time', () => {
    const ring = parseKeyring(A);
    expect(seal(ring, SECRET).sealed).not.toBe(seal(ring, SECRET).sealed);
  });

  it('names an unknown key id', () => {
    const { sealed } = seal(parseKeyring(A), SECRET);
    expect(() => open(parseKeyring(B), sealed)).toThrow(/sealed with key a, which CONNECTOR_KEYS does not hold/);
  });

  it('refuses a different key under the same id', () => {
    const { sealed } = seal(parseKeyring(A), SECRET);
    expect(() => open(parseKeyring(newMasterKeyEntry('a')), sealed)).toThrow(/sealed with key a do not open/);
  });

  it.each(['data', 'wrappedKey', 'tag', 'kid'] as const)('detects a tampered %s', (field) => {
    const ring = parseKeyring(`${A},${B}`);
    const envelope = JSON.parse(Buffer.from(seal(ring, SECRET).sealed, 'base64').toString());
    envelope[field] = field === 'kid' ? 'b' : flipFirstByte(envelope[field]);
    const tampered = Buffer.from(JSON.stringify(envelope)).toString('base64');
    expect(() => open(ring, tampered)).toThrow(/do not open|were altered/);
  });

  it('refuses what is no envelope', () => {
    expect(() => open(parseKeyring(A), 'hello')).toThrow(/not a version 1 envelope|not an envelope/);
  });
});

describe('rewrap', () => {
  it('moves an envelope to the current key without changing the credentials', () => {
    const { sealed } = seal(parseKeyring(A), SECRET);
    const rotated = rewrap(parseKeyring(`${B},${A}`), sealed);
    expect(rotated.keyId).toBe('b');
    expect(sealedKeyId(rotated.sealed)).toBe('b');
    expect(open(parseKeyring(B), rotated.sealed)).toEqual(SECRET);
    // Only the wrap changed: the encrypted credentials are the same bytes.
    const data = (s: string) => JSON.parse(Buffer.from(s, 'base64').toString()).data;
    expect(data(rotated.sealed)).toBe(data(sealed));
  });
});

describe('loadKeyring', () => {
  let dir: string | undefined;
  afterEach(() => dir && rm(dir, { recursive: true, force: true }));

  it('generates one development key in DATA_DIR, private, and reuses it', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keys-'));
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, msg: string) => warnings.push(msg) } as never;
    const config = { NODE_ENV: 'development' as const, DATA_DIR: dir, CONNECTOR_KEYS: undefined };
    const [first, second] = await Promise.all([loadKeyring(config, logger), loadKeyring(config, logger)]);
    expect(first!.keys.get('dev')).toEqual(second!.keys.get('dev'));
    expect(warnings).toEqual([expect.stringContaining('generated a development key')]);
    expect((await stat(path.join(dir, DEV_KEY_FILE))).mode & 0o777).toBe(0o600);
    const { sealed } = seal(first!, SECRET);
    expect(open((await loadKeyring(config))!, sealed)).toEqual(SECRET);
    expect(await readFile(path.join(dir, DEV_KEY_FILE), 'utf8')).toMatch(/^dev:/);
  });

  it('has no key in production without CONNECTOR_KEYS, and parses them when set', async () => {
    expect(await loadKeyring({ NODE_ENV: 'production', DATA_DIR: '/nonexistent', CONNECTOR_KEYS: undefined })).toBeUndefined();
    expect((await loadKeyring({ NODE_ENV: 'production', DATA_DIR: '/nonexistent', CONNECTOR_KEYS: A }))!.currentId).toBe('a');
  });
});

function flipFirstByte(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] = bytes[0]! ^ 1;
  return bytes.toString('base64');
}
