import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { zeroize } from '../domain/secret.js';
import { SUCCESSOR_FIELD, successorRecordId, type RotationState } from './rotation-keys.js';
import { Opener, sealedKeyId } from './sealed-box.js';
import { publicFromPrivate } from './x25519.js';

/** Opens sealed numbers with whichever vault key a box names. */
export interface VaultOpener {
  open(sealed: Uint8Array, recordId: string, field: string): Buffer;
  wipe(): void;
}

/**
 * An opener for the private key a slot gave. During a rotation (`rotation`,
 * as read from the vault's meta), the old key also opens the successor box, so
 * boxes already re-sealed to the new key open too. Version 1 boxes (no key id)
 * belong to the key the slot gave. The caller keeps ownership of privateKey.
 */
export function vaultOpener(rotation: RotationState | undefined, privateKey: Secret<Buffer>): VaultOpener {
  const pub = publicFromPrivate(privateKey.expose());
  const primary = new Opener(privateKey.expose(), pub);
  const byId = new Map<string, Opener>([[primary.keyId.toString('hex'), primary]]);
  if (rotation && Buffer.from(rotation.oldPublicKey, 'base64').equals(pub)) {
    const next = primary.open(Buffer.from(rotation.successor, 'base64'), successorRecordId(rotation.id), SUCCESSOR_FIELD);
    try {
      const o = new Opener(next, Buffer.from(rotation.newPublicKey, 'base64'));
      byId.set(o.keyId.toString('hex'), o);
    } finally {
      zeroize(next);
    }
  }
  return {
    open(sealed, recordId, field) {
      const id = sealedKeyId(sealed);
      const opener = id === undefined ? primary : byId.get(id.toString('hex'));
      if (!opener) throw new AppError('tampered', '暗号化された番号を開けませんでした（この鍵スロットの鍵では封をされていません）。');
      return opener.open(sealed, recordId, field);
    },
    wipe() {
      for (const o of byId.values()) o.wipe();
    },
  };
}
