import { AppError } from '../domain/errors.js';

/**
 * A bounded queue for expensive work (password hashing): at most
 * `concurrency` jobs run, at most `depth` wait; beyond that a job is shed at
 * once with 'overloaded' (HTTP 429) instead of piling up. Keeping sign-in
 * hashes to fewer threads than libuv's pool (4) leaves threads free for the
 * gate's own PIN work, which does not pass through this queue.
 */
export class WorkQueue {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly depth: number,
    private readonly shedMessage: string,
  ) {}

  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.depth) throw new AppError('overloaded', this.shedMessage);
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes straight to the next job
      else this.#running--;
    }
  }
}
