import { createHmac, hkdfSync } from 'node:crypto';
import type { Secret } from '../domain/secret.js';

/**
 * HMAC-SHA-256 of `text` under a key derived from the audit key for one use
 * (HKDF-SHA-256, salt "mnvault", info naming the use, 32 bytes), so each file
 * the audit key vouches for has a key of its own. The derived key is wiped.
 */
export function auditDerivedMac(auditKey: Secret<Buffer>, info: string, text: string): Buffer {
  const key = Buffer.from(hkdfSync('sha256', auditKey.expose(), 'mnvault', info, 32));
  try {
    return createHmac('sha256', key).update(text, 'utf8').digest();
  } finally {
    key.fill(0);
  }
}
