import { isIPv4, isIPv6 } from 'node:net';

/**
 * Counts attempts per key (an address prefix, an account) in a sliding
 * window, in memory: a restart forgets, the database lockout does not.
 * An attempt is reserved before its slow check and released only if it
 * succeeded, so a burst cannot slip past the limit while hashes run.
 */
export class Throttle {
  readonly #hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  blocked(key: string, now: number): boolean {
    return this.#recent(key, now).length >= this.limit;
  }

  fail(key: string, now: number): void {
    const hits = this.#recent(key, now);
    hits.push(now);
    this.#hits.set(key, hits);
    if (this.#hits.size > 10_000) this.#sweep(now);
  }

  /** Counts an attempt before it is checked; false (nothing counted) when the key is over its limit. */
  reserve(key: string, now: number): boolean {
    if (this.blocked(key, now)) return false;
    this.fail(key, now);
    return true;
  }

  /** Takes back a reserved attempt that turned out to be a success. */
  release(key: string, at: number): void {
    const hits = this.#hits.get(key);
    const i = hits?.indexOf(at) ?? -1;
    if (hits && i >= 0) hits.splice(i, 1);
  }

  #recent(key: string, now: number): number[] {
    return (this.#hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
  }

  #sweep(now: number): void {
    for (const [k, v] of this.#hits) if (v.every((t) => now - t >= this.windowMs)) this.#hits.delete(k);
  }
}

/**
 * The key a client is throttled under: its IPv4 address (also when written
 * as ::ffff:a.b.c.d), or the /64 network of an IPv6 address, since one host
 * can take any address of its /64.
 */
export function throttleKey(address: string | null): string {
  if (!address) return 'unknown';
  const mapped = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(mapped)) return mapped;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const bare = address.split('%')[0]!; // a zone id (fe80::1%eth0) names the interface, not the host
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, undefined];
  const parts = (s: string | undefined) => (s ? s.split(':') : []);
  const left = parts(head);
  const right = parts(tail);
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => (g.includes('.') ? g : Number.parseInt(g, 16).toString(16)));
}
