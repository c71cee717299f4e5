import { describe, expect, it } from 'vitest';
import { addressProblem, parseCidrList, webhookUrlProblem, type ResolveHost } from './url-guard.js';

/** Names resolved without DNS, so a test can point one at loopback or at a mix of answers. */
const answers: Record<string, string[]> = {
  'loopback.example': ['127.0.0.1'],
  'mapped-loopback.example': ['::ffff:127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'mixed.example': ['93.184.215.14', '10.0.0.5'],
  'mixed-v6.example': ['2606:4700::1111', 'fd00::5'],
  'public.example': ['93.184.215.14', '2606:4700::1111'],
};
const resolve: ResolveHost = async (host) => (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const none = parseCidrList('');

/** Every way the hostile tester (and the RFCs) spell an internal address. */
const REFUSED = [
  // IPv4-mapped, in every notation, and a mapped metadata address
  'http://[::ffff:127.0.0.1]:9000/x',
  'http://[::ffff:7f00:1]/',
  'http://[0:0:0:0:0:ffff:7f00:1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:10.0.0.1]/',
  // IPv4-compatible (deprecated) and IPv4-translated
  'http://[::127.0.0.1]/',
  'http://[::a9fe:a9fe]/',
  'http://[::ffff:0:127.0.0.1]/',
  // NAT64 well-known prefix, local-use NAT64 (opaque, refused even with a public IPv4 inside)
  'http://[64:ff9b::127.0.0.1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[64:ff9b:1::7f00:1]/',
  'http://[64:ff9b:1::5db8:d70e]/',
  // 6to4 (IPv4 in bits 16..48) and Teredo (refused whatever it carries)
  'http://[2002:7f00:1::]/',
  'http://[2002:a9fe:a9fe::1]/',
  'http://[2002:c0a8:101::1]/',
  'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
  // IPv4 special ranges
  'http://0.0.0.0/',
  'http://0.1.2.3/',
  'http://127.0.0.1/',
  'http://127.255.255.254/',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://172.31.255.255/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://169.254.169.254/latest/meta-data',
  'http://192.0.0.1/',
  'http://198.18.0.1/',
  'http://198.19.255.1/',
  'http://192.0.2.1/',
  'http://198.51.100.1/',
  'http://203.0.113.1/',
  'http://224.0.0.1/',
  'http://239.255.255.250/',
  'http://240.0.0.1/',
  'http://255.255.255.255/',
  // IPv4 in the notations WHATWG normalises (decimal, hex, octal, short, trailing dot)
  'http://2130706433/',
  'http://0x7f.1/',
  'http://0x7f000001/',
  'http://0177.0.0.1/',
  'http://017700000001/',
  'http://127.1/',
  'http://127.0.0.1./',
  'http://0/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  // IPv6 special ranges
  'http://[::]/',
  'http://[::1]/',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[fc00::1]/',
  'http://[fd12:3456::1]/',
  'http://[fe80::1]/',
  'http://[fec0::1]/',
  'http://[ff02::1]/',
  'http://[2001:db8::1]/',
  'http://[100::1]/',
  // names
  'http://localhost/',
  'http://loopback.example/',
  'http://mapped-loopback.example/',
  'http://metadata.example/',
  'http://mixed.example/',
  'http://mixed-v6.example/',
];

const ACCEPTED = [
  'http://93.184.215.14/',
  'https://93.184.215.14:8443/hook',
  'http://[2606:4700::1111]/',
  'http://[::ffff:93.184.215.14]/',
  // NAT64 and 6to4 carrying a public IPv4 are how IPv6-only networks reach it
  'http://[64:ff9b::93.184.215.14]/',
  'http://[2002:5db8:d70e::1]/',
  'https://public.example/hooks',
];

describe('webhookUrlProblem', () => {
  it(`refuses every internal address in the corpus (${REFUSED.length} URLs)`, async () => {
    const passed: string[] = [];
    for (const url of REFUSED) {
      const problem = await webhookUrlProblem(url, none, url.includes('localhost') ? undefined : resolve);
      if (!problem?.includes('internal address')) passed.push(`${url} → ${problem}`);
    }
    expect(passed).toEqual([]);
  });

  it('accepts public addresses, also when an IPv6 format carries a public IPv4', async () => {
    for (const url of ACCEPTED) expect(await webhookUrlProblem(url, none, resolve), url).toBeUndefined();
  });

  it('names the offending answer when one of several is internal', async () => {
    expect(await webhookUrlProblem('http://mixed.example/', none, resolve)).toMatch(/internal address 10\.0\.0\.5;.*WEBHOOK_ALLOWED_CIDRS/);
    expect(await webhookUrlProblem('http://mixed-v6.example/', none, resolve)).toMatch(/internal address fd00::5/);
  });

  it('accepts a name that does not resolve yet (the connect-time guard decides), refuses text that is not a URL', async () => {
    expect(await webhookUrlProblem('http://nowhere.example/', none, resolve)).toBeUndefined();
    expect(await webhookUrlProblem('not a url', none, resolve)).toBe('is not a valid URL');
  });

  it('lets the allowlist cover a range in both spellings of its addresses', async () => {
    const loopback = parseCidrList('127.0.0.0/8');
    for (const url of [
      'http://127.0.0.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://2130706433/',
      'http://loopback.example/',
    ]) {
      expect(await webhookUrlProblem(url, loopback, resolve), url).toBeUndefined();
    }
    expect(await webhookUrlProblem('http://10.0.0.1/', loopback, resolve)).toMatch(/internal address 10\.0\.0\.1/);
    expect(await webhookUrlProblem('http://[::1]/', loopback, resolve)).toMatch(/internal address ::1/);
    expect(await webhookUrlProblem('http://127.0.0.1/', parseCidrList('::ffff:127.0.0.0/104'), resolve)).toBeUndefined();
    expect(await webhookUrlProblem('http://[::1]/', parseCidrList('::1/128'), resolve)).toBeUndefined();
  });
});

describe('addressProblem', () => {
  it('refuses what it cannot parse rather than guessing', () => {
    expect(addressProblem('not-an-address', none)).toMatch(/unrecognised address/);
  });
  it('checks the IPv4 inside IPv4-mapped answers a resolver may give', () => {
    expect(addressProblem('::ffff:192.168.0.1', none)).toMatch(/internal/);
    expect(addressProblem('::ffff:8.8.8.8', none)).toBeUndefined();
  });
});

describe('WHATWG URL normalisation the guard relies on', () => {
  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', '[::ffff:7f00:1]'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[::127.0.0.1]/', '[::7f00:1]'],
  ])('%s has the host %s', (url, host) => {
    expect(new URL(url).hostname).toBe(host);
  });
});

describe('parseCidrList', () => {
  it('reads a comma-separated list of IPv4 and IPv6 CIDRs', () => {
    expect(parseCidrList('')).toEqual([]);
    expect(parseCidrList(' 127.0.0.0/8 , ::1/128 ').map(([net, bits]) => `${net.toString()}/${bits}`)).toEqual(['127.0.0.0/8', '::1/128']);
  });
  it.each(['10.0.0.0', 'nonsense/8', '10.0.0.0/33', '::1/129', '0x7f.1/8', '127.1/8', '10.0.0.0/x'])('refuses %s', (entry) => {
    expect(() => parseCidrList(entry)).toThrow(/is not a CIDR/);
  });
});
