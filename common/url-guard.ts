import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * SSRF guard for webhook URLs: a URL whose host resolves to loopback, private, link-local
 * (cloud metadata) or otherwise internal addresses is refused unless an allowlisted CIDR covers it.
 * Checked when the URL is given and again before every delivery, since DNS answers change.
 */
const INTERNAL: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
];

const internal = new BlockList();
for (const [net, prefix, type] of INTERNAL) internal.addSubnet(net, prefix, type);

export function parseCidrList(list: string): BlockList {
  const allowed = new BlockList();
  for (const entry of list.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [net, bits] = entry.split('/');
    const type = isIP(net ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(net ?? '') || bits === undefined || !/^\d+$/.test(bits)) throw new Error(`"${entry}" is not a CIDR such as 10.0.0.0/8`);
    allowed.addSubnet(net!, Number(bits), type);
  }
  return allowed;
}

/** Undefined when the URL may be called; otherwise why not, in words a client can act on. */
export async function webhookUrlProblem(url: string, allowed: BlockList): Promise<string | undefined> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return 'is not a valid URL';
  }
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  } catch {
    return `host ${host} does not resolve`;
  }
  for (const { address, family } of addresses) {
    const type = family === 6 ? 'ipv6' : 'ipv4';
    const mapped = type === 'ipv6' && address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : undefined;
    const check = mapped ? ([mapped, 'ipv4'] as const) : ([address, type] as const);
    if (internal.check(...check) && !allowed.check(...check)) {
      return `resolves to the internal address ${address}; webhooks may only target public addresses (an operator can allow ranges with WEBHOOK_ALLOWED_CIDRS)`;
    }
  }
  return undefined;
}
