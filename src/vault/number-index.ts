import { createHmac } from 'node:crypto';
import type { MyNumber } from '../domain/my-number.js';
import type { Secret } from '../domain/secret.js';

/**
 * The keyed match value of a number: HMAC-SHA-256(index key, "mnvault/number/v1" ‖ 0x00 ‖ digits).
 * Without the index key (wrapped inside the encrypted vault) it cannot be
 * brute-forced over the 10^11 valid numbers, as a plain hash could.
 */
export function numberIndex(indexKey: Secret<Buffer>, n: MyNumber): Buffer {
  return createHmac('sha256', indexKey.expose()).update('mnvault/number/v1\0').update(n.expose(), 'latin1').digest();
}
