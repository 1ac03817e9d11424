import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** The LAN networks allowed by default: loopback and the private ranges. */
export const DEFAULT_NETWORKS = ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10'];

/** Parses "192.168.1.0/24, fd00::/8"; throws with every bad entry named. */
export function parseNetworks(list: readonly string[]): BlockList {
  const allow = new BlockList();
  const bad: string[] = [];
  for (const entry of list) {
    const m = /^([^/]+)\/(\d{1,3})$/u.exec(entry.trim());
    const type = m && (isIPv4(m[1]!) ? 'ipv4' : isIPv6(m[1]!) ? 'ipv6' : undefined);
    const prefix = m ? Number(m[2]) : NaN;
    if (!m || !type || prefix > (type === 'ipv4' ? 32 : 128)) {
      bad.push(entry);
      continue;
    }
    allow.addSubnet(m[1]!, prefix, type);
  }
  if (bad.length) throw new Error(`not a CIDR network: ${bad.join(', ')}`);
  return allow;
}

/** Normalises an IPv4-mapped IPv6 peer (::ffff:192.168.1.5) before checking. */
export function isAllowed(allow: BlockList, address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  return allow.check(a, isIPv4(a) ? 'ipv4' : 'ipv6');
}
