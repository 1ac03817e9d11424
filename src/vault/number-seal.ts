import type { MyNumber } from '../domain/my-number.js';
import { seal, type Sealer } from './sealed-box.js';

/**
 * Seals a My Number (with the vault's public key only) for the record and field it belongs to. The digits
 * become bytes only here, and those bytes are zeroed once sealed.
 */
export function sealNumber(vaultPublicKey: Uint8Array, n: MyNumber, recordId: string, field: string): Buffer {
  const digits = Buffer.from(n.expose(), 'latin1');
  try {
    return seal(vaultPublicKey, digits, recordId, field);
  } finally {
    digits.fill(0);
  }
}

/** Seals a My Number with a batch's sealer (an import): as `sealNumber`, the digits zeroed once sealed. */
export function sealNumberInBatch(sealer: Sealer, n: MyNumber, recordId: string, field: string): Buffer {
  const digits = Buffer.from(n.expose(), 'latin1');
  try {
    return sealer.seal(digits, recordId, field);
  } finally {
    digits.fill(0);
  }
}
