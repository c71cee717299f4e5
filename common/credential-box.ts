import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Config } from './config.js';
import type { Logger } from './logger.js';
import { KEY_ID, KeyringError, parseKeyring, type Keyring } from './connector-keys.js';

export { parseKeyring, KeyringError, type Keyring };

/**
 * Envelope encryption of connector credentials. Each seal draws a fresh data key that encrypts the
 * credentials; only that data key is encrypted (wrapped) by a master key from CONNECTOR_KEYS. So a
 * rotation rewraps 32 bytes per account and never needs the credentials in clear, and a leaked
 * database alone opens nothing.
 */

const KEY_BYTES = 32;
const IV_BYTES = 12;

/** Opening failed: an unknown key, altered data or a value that is no envelope. Names the key id, never key material. */
export class CredentialBoxError extends Error {}

interface Envelope {
  v: 1;
  /** The master key that wrapped the data key. */
  kid: string;
  /** The data key, encrypted by the master key (with its own iv and tag). */
  wrappedKey: string;
  wrapIv: string;
  wrapTag: string;
  /** The credentials' JSON, encrypted by the data key. */
  iv: string;
  tag: string;
  data: string;
}

function encrypt(key: Buffer, plain: Buffer, aad: string) {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function decrypt(key: Buffer, parts: { iv: string; tag: string; data: string }, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(parts.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(parts.data, 'base64')), decipher.final()]);
}

// The wrap is bound to its key id, so an envelope whose kid was edited does not open under another key.
const wrapAad = (kid: string) => `connector-credentials:v1:key:${kid}`;
const DATA_AAD = 'connector-credentials:v1:data';

function wrap(keyring: Keyring, dataKey: Buffer) {
  const kid = keyring.currentId;
  const wrapped = encrypt(keyring.keys.get(kid)!, dataKey, wrapAad(kid));
  return { kid, wrappedKey: wrapped.data, wrapIv: wrapped.iv, wrapTag: wrapped.tag };
}

function decode(sealed: string): Envelope {
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(sealed, 'base64').toString('utf8'));
  } catch {
    throw new CredentialBoxError('the sealed credentials are not an envelope of this service (not base64 JSON)');
  }
  const e = envelope as Partial<Envelope> | null;
  const fields = ['kid', 'wrappedKey', 'wrapIv', 'wrapTag', 'iv', 'tag', 'data'] as const;
  if (e?.v !== 1 || fields.some((f) => typeof e[f] !== 'string')) {
    throw new CredentialBoxError('the sealed credentials are not a version 1 envelope');
  }
  return e as Envelope;
}

function unwrap(keyring: Keyring, e: Envelope): Buffer {
  const master = keyring.keys.get(e.kid);
  if (!master) {
    throw new CredentialBoxError(
      `the credentials are sealed with key ${e.kid}, which CONNECTOR_KEYS does not hold; add it back to open them`,
    );
  }
  try {
    return decrypt(master, { iv: e.wrapIv, tag: e.wrapTag, data: e.wrappedKey }, wrapAad(e.kid));
  } catch {
    throw new CredentialBoxError(
      `the credentials sealed with key ${e.kid} do not open: that key is not the one they were sealed with, or they were altered`,
    );
  }
}

/** Encrypts credentials under a fresh data key wrapped by the current master key. */
export function seal(keyring: Keyring, credentials: unknown): { sealed: string; keyId: string } {
  const dataKey = randomBytes(KEY_BYTES);
  const body = encrypt(dataKey, Buffer.from(JSON.stringify(credentials)), DATA_AAD);
  const envelope: Envelope = { v: 1, ...wrap(keyring, dataKey), ...body };
  return { sealed: Buffer.from(JSON.stringify(envelope)).toString('base64'), keyId: envelope.kid };
}

/** The credentials in clear, for the worker's connector call only. */
export function open(keyring: Keyring, sealed: string): unknown {
  const e = decode(sealed);
  const dataKey = unwrap(keyring, e);
  try {
    return JSON.parse(decrypt(dataKey, e, DATA_AAD).toString('utf8'));
  } catch {
    throw new CredentialBoxError(`the credentials sealed with key ${e.kid} were altered: their data does not match its tag`);
  }
}

/** The same credentials with their data key wrapped by the current master key; the credentials stay encrypted throughout. */
export function rewrap(keyring: Keyring, sealed: string): { sealed: string; keyId: string } {
  const e = decode(sealed);
  const dataKey = unwrap(keyring, e);
  const envelope: Envelope = { ...e, ...wrap(keyring, dataKey) };
  return { sealed: Buffer.from(JSON.stringify(envelope)).toString('base64'), keyId: envelope.kid };
}

/** The key id an envelope names, without opening it. */
export function sealedKeyId(sealed: string): string {
  return decode(sealed).kid;
}

export const DEV_KEY_FILE = 'connector-dev-key';

/**
 * The master keys of this process: CONNECTOR_KEYS when set. Outside production without it, a
 * development key generated once into DATA_DIR (mode 0600) and shared by the API and the worker
 * of the same `npm start`, so a developer can try Stripe accounts with nothing to configure. In
 * production without it: undefined, and nothing that needs sealing can be stored.
 */
export async function loadKeyring(
  config: Pick<Config, 'CONNECTOR_KEYS' | 'NODE_ENV' | 'DATA_DIR'>,
  logger?: Pick<Logger, 'warn'>,
): Promise<Keyring | undefined> {
  if (config.CONNECTOR_KEYS !== undefined && config.CONNECTOR_KEYS.trim() !== '')
    return asConfigError(() => parseKeyring(config.CONNECTOR_KEYS!));
  if (config.NODE_ENV === 'production') return undefined;
  const file = path.resolve(config.DATA_DIR, DEV_KEY_FILE);
  const entry = `dev:${randomBytes(KEY_BYTES).toString('base64')}`;
  await mkdir(path.dirname(file), { recursive: true });
  try {
    // `wx`: when the API and the worker start together, the first writes and the other reads its key.
    await writeFile(file, `${entry}\n`, { flag: 'wx', mode: 0o600 });
    logger?.warn(
      { file },
      'generated a development key for connector credentials (CONNECTOR_KEYS is unset); set CONNECTOR_KEYS in production',
    );
    return parseKeyring(entry, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const existing = await readExisting(file);
  return asConfigError(() => parseKeyring(existing, file));
}

/** A bad key list stops a command with one line, as any other configuration problem. */
function asConfigError<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw err instanceof KeyringError ? new ConfigError(err.message) : err;
  }
}

/** A key file another process may be writing at this instant: read until it holds its line. */
async function readExisting(file: string): Promise<string> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const text = (await readFile(file, 'utf8')).trim();
    if (text || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A fresh master key entry for CONNECTOR_KEYS (the CLI prints one for operators). */
export function newMasterKeyEntry(id: string): string {
  if (!KEY_ID.test(id)) throw new ConfigError(`key id ${id} must be letters, digits, _ or -`);
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}
