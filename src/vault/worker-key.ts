import type { MyNumber } from '../domain/my-number.js';
import type { Secret } from '../domain/secret.js';

/**
 * A copy of a key's bytes to post to a worker thread or a child process (which opens its own database
 * connection or checks its own range of the chain). The caller zeroes the copy once it is sent; the
 * receiver wraps what it gets in a Secret at once. This is the one way key bytes leave the process's
 * Secrets, and it stays on this machine.
 */
export function keyCopyForWorker(key: Secret<Buffer>): Uint8Array {
  return new Uint8Array(key.expose());
}

/**
 * A number's digits to post to a worker thread of this process (an import file's second part is
 * checked on a second core): the receiving thread makes a MyNumber of them again at once. They
 * stay in this process's memory.
 */
export function numberCopyForThread(n: MyNumber): string {
  return n.expose();
}
