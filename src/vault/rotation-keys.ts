import { AppError } from '../domain/errors.js';
import { Secret, zeroize } from '../domain/secret.js';
import { Opener, seal } from './sealed-box.js';
import { generateX25519, publicFromPrivate } from './x25519.js';

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

/** The public half of a vault private key (from a slot), without the caller touching the bytes. */
export function vaultPublicKeyOf(privateKey: Secret<Uint8Array>): Buffer {
  return publicFromPrivate(privateKey.expose());
}

/**
 * A new rotation away from `oldPublic`: a fresh key pair whose private half is
 * kept only as the successor box sealed to the old public key, then wiped.
 */
export function newRotation(oldPublic: Buffer, id: string, startedAt: string): RotationState {
  const pair = generateX25519();
  try {
    return {
      id,
      oldPublicKey: oldPublic.toString('base64'),
      newPublicKey: pair.publicKey.toString('base64'),
      successor: seal(oldPublic, pair.privateKey, successorRecordId(id), SUCCESSOR_FIELD).toString('base64'),
      startedAt,
      cursor: 0,
      resealed: 0,
    };
  } finally {
    zeroize(pair.privateKey);
  }
}

/**
 * The rotation's new private key, opened from the successor box with the old
 * key a slot gave; it must match the recorded new public key. The caller wipes the result.
 */
export function openSuccessor(oldKey: Secret<Uint8Array>, state: RotationState): Secret<Buffer> {
  const oldPublic = Buffer.from(state.oldPublicKey, 'base64');
  const opener = new Opener(oldKey.expose(), oldPublic);
  let next: Buffer | undefined;
  try {
    next = opener.open(Buffer.from(state.successor, 'base64'), successorRecordId(state.id), SUCCESSOR_FIELD);
    if (!publicFromPrivate(next).equals(Buffer.from(state.newPublicKey, 'base64'))) throw new AppError('tampered', '鍵の交換の記録が壊れています。');
    const key = new Secret(next);
    next = undefined;
    return key;
  } finally {
    zeroize(next);
    opener.wipe();
  }
}
