import { inspect } from 'node:util';

/**
 * A value that must not reach a log, JSON or an error message. Printing it gives
 * `[redacted]`; reading it takes an explicit `.expose()`. Buffers can be wiped.
 */
export class Secret<T extends string | Uint8Array = Uint8Array> {
  #value: T | undefined;

  constructor(value: T) {
    this.#value = value;
  }

  expose(): T {
    if (this.#value === undefined) throw new Error('secret used after it was wiped');
    return this.#value;
  }

  /** Overwrites a byte secret with zeros and forgets it; strings are only forgotten. */
  wipe(): void {
    if (this.#value instanceof Uint8Array) this.#value.fill(0);
    this.#value = undefined;
  }

  get wiped(): boolean {
    return this.#value === undefined;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** Zeroes every buffer given; tolerates undefined for use in finally blocks. */
export function zeroize(...buffers: Array<Uint8Array | undefined>): void {
  for (const b of buffers) b?.fill(0);
}

/**
 * Hands the values to `show` once and wipes them after, also when `show` throws: for codes shown once
 * to their owner (recovery codes on the page that issues them). Code outside src/vault never calls
 * `.expose()`; this is the one way a page puts a secret in front of its owner.
 */
export function showOnce<T extends string | Uint8Array, R>(secrets: readonly Secret<T>[], show: (values: T[]) => R): R {
  try {
    return show(secrets.map((s) => s.expose()));
  } finally {
    for (const s of secrets) s.wipe();
  }
}
