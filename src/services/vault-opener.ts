import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { zeroize } from '../domain/secret.js';
import type { MetaRepo } from '../storage/meta-repo.js';
import { Opener, sealedKeyId } from '../vault/sealed-box.js';
import { publicFromPrivate } from '../vault/x25519.js';

/** vault_meta key holding the state of a vault key rotation in progress (JSON, see RotationState). */
export const ROTATION_META_KEY = 'key_rotation';

/**
 * A vault key rotation in progress. The new private key exists only as
 * `successor`: a sealed box to the old public key, so every slot that opens
 * the old key (all of them, until the rotation completes) also reaches the new one.
 */
export interface RotationState {
  id: string;
  oldPublicKey: string; // base64
  newPublicKey: string; // base64
  successor: string; // base64 sealed box of the new private key
  startedAt: string;
  /** Records with person_id <= cursor have been re-sealed and committed. */
  cursor: number;
  resealed: number;
}

export const SUCCESSOR_FIELD = 'vault_private_key';
export const successorRecordId = (rotationId: string): string => `key-rotation/${rotationId}`;

export function readRotation(meta: MetaRepo): RotationState | undefined {
  const text = meta.get(ROTATION_META_KEY);
  return text ? (JSON.parse(text) as RotationState) : undefined;
}

/** Opens sealed numbers with whichever vault key a box names. */
export interface VaultOpener {
  open(sealed: Uint8Array, recordId: string, field: string): Buffer;
  wipe(): void;
}

/**
 * An opener for the private key a slot gave. During a rotation, the old key
 * also opens the successor box, so boxes already re-sealed to the new key open
 * too. Version 1 boxes (no key id) belong to the key the slot gave.
 * The caller keeps ownership of privateKey.
 */
export function vaultOpener(meta: MetaRepo, privateKey: Secret<Buffer>): VaultOpener {
  const pub = publicFromPrivate(privateKey.expose());
  const primary = new Opener(privateKey.expose(), pub);
  const byId = new Map<string, Opener>([[primary.keyId.toString('hex'), primary]]);
  const rotation = readRotation(meta);
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
