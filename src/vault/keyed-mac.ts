import { createHmac, hkdfSync } from 'node:crypto';
import { Secret } from '../domain/secret.js';

/**
 * The keyed operations the audit chain and its witnesses ask for. The key's bytes are read only here:
 * callers hold the Secret and get back a MAC or a derived Secret.
 */

/** HMAC-SHA-256 under `key` of the parts in order (a string as its UTF-8 bytes). */
export function hmacSha256(key: Secret<Buffer>, ...parts: readonly (Buffer | string)[]): Buffer {
  const h = createHmac('sha256', key.expose());
  for (const p of parts) {
    if (typeof p === 'string') h.update(p, 'utf8');
    else h.update(p);
  }
  return h.digest();
}

/** A key of its own for one use: HKDF-SHA-256 of `key`, salt "mnvault", `info` naming the use, 32 bytes. */
export function deriveKey(key: Secret<Buffer>, info: string): Secret<Buffer> {
  return new Secret(Buffer.from(hkdfSync('sha256', key.expose(), 'mnvault', info, 32)));
}
