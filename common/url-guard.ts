import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { errorChain } from './error-chain.js';
import { Agent, buildConnector } from 'undici';

/**
 * SSRF guard for webhook URLs: an address that is not plain public unicast is refused unless an
 * allowlisted CIDR covers it. `webhookUrlProblem` answers clients when a URL is given; the agent
 * from `createGuardedAgent` decides again at connect time, on the very address it connects to, so a
 * DNS answer that changes between the two (rebinding) gains nothing.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type AllowedRanges = ReadonlyArray<readonly [Address, number]>;
/** Every address a name resolves to; injectable so tests can resolve names without /etc/hosts. */
export type ResolveHost = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const ADDRESS_REFUSED = 'ERR_WEBHOOK_ADDRESS_REFUSED';

/** A slow resolver must not hold a request (Node runs few lookups at once): past this, "not yet". */
const LOOKUP_TIMEOUT_MS = 2_000;

const systemResolve: ResolveHost = (hostname) =>
  Promise.race([
    dnsLookup(hostname, { all: true, verbatim: true }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no DNS answer for ${hostname} within ${LOOKUP_TIMEOUT_MS} ms`)), LOOKUP_TIMEOUT_MS).unref(),
    ),
  ]);

/** `10.0.0.0/8,::1/128` → ranges; throws on anything that is not a dotted or IPv6 CIDR. */
export function parseCidrList(list: string): AllowedRanges {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      // ipaddr.js also reads `0x7f.1/8`; an operator's list should say what it means plainly.
      if (!isIP(entry.split('/')[0] ?? '') || !ipaddr.isValidCIDR(entry)) throw new Error(`"${entry}" is not a CIDR such as 10.0.0.0/8`);
      return ipaddr.parseCIDR(entry);
    });
}

/**
 * The IPv4 address an IPv6 one stands for, where the format says so: mapped and translated
 * (`::ffff:a.b.c.d`, `::ffff:0:a.b.c.d`), the deprecated compatible form (`::a.b.c.d`, which also
 * covers `::` and `::1`), NAT64 well-known prefix (`64:ff9b::/96`) and 6to4 (`2002:AABB:CCDD::/48`).
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zeros = (from: number, to: number) => p.slice(from, to).every((part) => part === 0);
  if (zeros(0, 5) && (p[5] === 0 || p[5] === 0xffff)) return v4(p[6]!, p[7]!);
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return v4(p[6]!, p[7]!);
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return v4(p[6]!, p[7]!);
  if (p[0] === 0x2002) return v4(p[1]!, p[2]!);
  return undefined;
}

function isAllowed(candidates: Address[], allowed: AllowedRanges): boolean {
  return allowed.some(([net, bits]) => candidates.some((a) => a.kind() === net.kind() && a.match(net, bits)));
}

/**
 * Undefined when a connection to this literal address may be made; otherwise why not. Teredo and
 * the local-use NAT64 prefix (`64:ff9b:1::/48`, where the IPv4 part's position is the operator's
 * choice) hide their destination, so their non-unicast range refuses them like any internal one.
 */
export function addressProblem(literal: string, allowed: AllowedRanges): string | undefined {
  let address: Address;
  try {
    address = ipaddr.parse(literal);
  } catch {
    // Unparsable here but accepted by the OS (a zone id, say): never guess in the attacker's favour.
    return `resolves to the unrecognised address ${literal}; webhooks may only target public addresses`;
  }
  const inner = address.kind() === 'ipv6' ? embeddedIPv4(address as ipaddr.IPv6) : undefined;
  if ((inner ?? address).range() === 'unicast') return undefined;
  // An allowlist written in either family covers both spellings of the same IPv4 address.
  const spellings = inner
    ? [address, inner]
    : address.kind() === 'ipv4'
      ? [address, (address as ipaddr.IPv4).toIPv4MappedAddress()]
      : [address];
  if (isAllowed(spellings, allowed)) return undefined;
  return `resolves to the internal address ${literal}; webhooks may only target public addresses (an operator can allow ranges with WEBHOOK_ALLOWED_CIDRS)`;
}

/** Undefined when the URL may be called; otherwise why not, in words a client can act on. */
export async function webhookUrlProblem(
  url: string,
  allowed: AllowedRanges,
  resolve: ResolveHost = systemResolve,
): Promise<string | undefined> {
  let host: string;
  try {
    // WHATWG parsing turns `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` into `127.0.0.1` first.
    host = unbracket(new URL(url).hostname);
  } catch {
    return 'is not a valid URL';
  }
  if (isIP(host)) return addressProblem(host, allowed);
  // A name that does not resolve now is accepted: DNS may heal before delivery, and what is
  // connected to is decided at connect time anyway. A name that resolves inside is refused now.
  const answers = await resolve(host).catch(() => []);
  return answers.length === 0 ? undefined : firstProblem(answers, allowed);
}

/** Refusal at connect time; its `problem` reads like `webhookUrlProblem`'s answer. */
export class WebhookAddressRefusedError extends Error {
  readonly code = ADDRESS_REFUSED;
  constructor(
    readonly host: string,
    readonly problem: string,
  ) {
    super(`refused: ${host} ${problem}`);
    this.name = 'WebhookAddressRefusedError';
  }
}

/** The refusal somewhere in an error's cause chain (fetch wraps connect errors in `fetch failed`). */
export function addressRefusal(err: unknown): WebhookAddressRefusedError | undefined {
  for (const e of errorChain(err)) if (e instanceof WebhookAddressRefusedError) return e;
  return undefined;
}

/**
 * An undici agent that checks every address it is about to connect to. Names go through a lookup
 * that refuses when any answer is internal (so no answer order or family choice can slip one
 * through); IP literals never reach a lookup (Node connects to them directly), so they are checked
 * before the connector runs.
 */
export function createGuardedAgent(allowed: AllowedRanges, resolve: ResolveHost = systemResolve): Agent {
  const connector = buildConnector({ lookup: guardedLookup(allowed, resolve) });
  return new Agent({
    connect(opts, callback) {
      const host = unbracket(opts.hostname);
      const problem = isIP(host) ? addressProblem(host, allowed) : undefined;
      if (problem) return callback(new WebhookAddressRefusedError(host, problem), null);
      connector(opts, callback);
    },
  });
}

function guardedLookup(allowed: AllowedRanges, resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answers) => {
        const problem = firstProblem(answers, allowed);
        if (problem) return callback(new WebhookAddressRefusedError(hostname, problem), '');
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = family ? answers.filter((a) => a.family === family) : answers;
        const [first] = usable;
        if (!first) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

function firstProblem(answers: Array<{ address: string }>, allowed: AllowedRanges): string | undefined {
  for (const { address } of answers) {
    const problem = addressProblem(address, allowed);
    if (problem) return problem;
  }
  return undefined;
}

const unbracket = (host: string) => host.replace(/^\[|\]$/g, '');
