import { isIP } from 'node:net';

/**
 * X.509 name constraints (RFC 5280 §4.2.1.10) for the appliance's local CA, so
 * that its key, if stolen, cannot mint a certificate that an office PC trusts
 * for a public site. Marked critical by the caller. Permitted:
 * - DNS: the appliance's own names at the time the CA is made (each also
 *   permits its sub-domains, per RFC 5280);
 * - IP: the LAN ranges — RFC 1918 (10/8, 172.16/12, 192.168/16), loopback
 *   (127/8, ::1), link-local (169.254/16, fe80::/10) and unique local
 *   (fc00::/7) — plus any other address of the appliance as a single host.
 * A name outside these makes `openssl verify` and the browsers fail with
 * "permitted subtree violation". A later host name outside the list needs a
 * new CA (see docs/security.md).
 */
export const LAN_RANGES: readonly (readonly [string, number])[] = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
];

/** DER of the NameConstraints extension value. */
export function nameConstraintsDer(hostnames: readonly string[], addresses: readonly string[]): Uint8Array {
  const subtrees: Buffer[] = [];
  for (const h of hostnames) subtrees.push(tlv(0x30, tlv(0x82, Buffer.from(h, 'ascii'))));
  const ranges: [string, number][] = LAN_RANGES.map(([a, p]) => [a, p]);
  for (const a of addresses) {
    if (!ranges.some(([base, prefix]) => inRange(a, base, prefix))) ranges.push([a, isIP(a) === 4 ? 32 : 128]);
  }
  for (const [base, prefix] of ranges) subtrees.push(tlv(0x30, tlv(0x87, Buffer.concat([ipBytes(base), maskBytes(isIP(base) === 4 ? 4 : 16, prefix)]))));
  return tlv(0x30, tlv(0xa0, Buffer.concat(subtrees)));
}

/** True when `address` lies in one of the LAN ranges or equals one of `extra`. */
export function permittedAddress(address: string, extra: readonly string[]): boolean {
  return LAN_RANGES.some(([b, p]) => inRange(address, b, p)) || extra.includes(address);
}

function inRange(address: string, base: string, prefix: number): boolean {
  if (isIP(address) !== isIP(base)) return false;
  const a = ipBytes(address);
  const b = ipBytes(base);
  const m = maskBytes(a.length, prefix);
  for (let i = 0; i < a.length; i++) if ((a[i]! & m[i]!) !== (b[i]! & m[i]!)) return false;
  return true;
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function maskBytes(length: number, prefix: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

/** The permitted DNS names and single-host addresses of a NameConstraints value (the LAN ranges are implied). */
export function readNameConstraints(der: Uint8Array): { dns: string[]; hosts: string[] } {
  const out = { dns: [] as string[], hosts: [] as string[] };
  const top = readTlv(der, 0);
  if (top.tag !== 0x30) return out;
  for (const part of children(der, top)) {
    if (part.tag !== 0xa0) continue; // permittedSubtrees
    for (const subtree of children(der, part)) {
      const base = readTlv(der, subtree.start);
      const value = Buffer.from(der.subarray(base.start, base.end));
      if (base.tag === 0x82) out.dns.push(value.toString('ascii'));
      else if (base.tag === 0x87 && (value.length === 8 || value.length === 32)) {
        const half = value.length / 2;
        if (value.subarray(half).every((b) => b === 0xff)) out.hosts.push(ipText(value.subarray(0, half)));
      }
    }
  }
  return out;
}

interface Tlv {
  tag: number;
  /** Offset of the content. */
  start: number;
  end: number;
}

function readTlv(der: Uint8Array, at: number): Tlv {
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | der[start + i]!;
    start += n;
  }
  return { tag, start, end: start + len };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const t = readTlv(der, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}
