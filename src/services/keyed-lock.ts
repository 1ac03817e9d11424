/**
 * Runs async work one at a time per key (an account, a user's PIN), in
 * arrival order, so a check, a slow hash and the count it leads to can never
 * interleave with another attempt on the same key. In-process only: the web
 * server is the one process that takes sign-ins and page PINs.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    this.#tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
