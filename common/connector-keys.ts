/**
 * The master keys of CONNECTOR_KEYS. Apart from the credential box, so the configuration can check
 * their form when it loads: a bad list stops the process at start, not at the first Stripe account.
 */

const KEY_BYTES = 32;
export const KEY_ID = /^[A-Za-z0-9_-]{1,40}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const RULE =
  'a comma-separated list of id:base64 entries, each id of letters, digits, _ or - and each key 32 random bytes in base64 (openssl rand -base64 32)';

export interface Keyring {
  /** The key new seals and rewraps use: the first of CONNECTOR_KEYS. */
  readonly currentId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

/** A key list of the wrong form; its message names the entry and the rule, never key material. */
export class KeyringError extends Error {}

function readKeyring(text: string): Keyring | string {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return `is empty; it must be ${RULE}`;
  const keys = new Map<string, Buffer>();
  for (const [index, entry] of entries.entries()) {
    const at = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const material = colon > 0 ? entry.slice(colon + 1) : '';
    if (!KEY_ID.test(id)) return `${at} has no valid id before ':'; it must be ${RULE}`;
    const bytes = BASE64.test(material) ? Buffer.from(material, 'base64') : undefined;
    if (bytes?.length !== KEY_BYTES) return `${at} (id ${id}) is not 32 bytes in base64; it must be ${RULE}`;
    if (keys.has(id)) return `${at}: id ${id} is listed twice; each key needs its own id`;
    keys.set(id, bytes);
  }
  return { currentId: [...keys.keys()][0]!, keys };
}

/** What is wrong with a CONNECTOR_KEYS value, or undefined when it is a valid list. */
export function connectorKeysProblem(text: string): string | undefined {
  const read = readKeyring(text);
  return typeof read === 'string' ? read : undefined;
}

/** Parses a key list; a bad entry is a KeyringError naming the variable, the entry and the rule. */
export function parseKeyring(text: string, variable = 'CONNECTOR_KEYS'): Keyring {
  const read = readKeyring(text);
  if (typeof read === 'string') throw new KeyringError(`${variable}: ${read}`);
  return read;
}
