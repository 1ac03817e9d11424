/**
 * Counts failures per key (an address, an account) in a sliding window, in
 * memory: a restart forgets, the database lockout does not.
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

  #recent(key: string, now: number): number[] {
    return (this.#hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
  }

  #sweep(now: number): void {
    for (const [k, v] of this.#hits) if (v.every((t) => now - t >= this.windowMs)) this.#hits.delete(k);
  }
}
