import { createCipheriv, createDecipheriv, hkdfSync, type KeyObject } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { zeroize } from '../domain/secret.js';
import { generateEphemeral, privateKeyObject, publicKeyObject, x25519 } from './x25519.js';

/**
 * Sealed box, format version 1 (test/vectors/sealed-box-v1.json must always open):
 *
 *   sealed = 0x01 ‖ ephemeralPublic[32] ‖ nonce[12] ‖ AES-256-GCM ciphertext ‖ tag[16]
 *   key    = HKDF-SHA-256(ikm = X25519(ephemeral, vault), salt = ephemeralPublic ‖ vaultPublic,
 *                         info = "mnvault sealed-box v1", 32 bytes)
 *   aad    = "mnvault/v1" ‖ u16 len ‖ recordId ‖ u16 len ‖ field      (UTF-8)
 *
 * Sealing needs only the vault public key. One ephemeral key may seal a batch
 * (an import), each record with its own nonce and its own associated data, as
 * one HPKE context seals many messages; a single intake uses a fresh one.
 * The key is new for every Sealer, so the nonce is a counter (as HPKE's
 * sequence number): unique under its key without a call for randomness.
 */
export const SEALED_BOX_VERSION = 1;
const HEADER = 1 + 32 + 12;
const TAG = 16;
const INFO = Buffer.from('mnvault sealed-box v1');
const AAD_PREFIX = Buffer.from('mnvault/v1');

export function associatedData(recordId: string, field: string): Buffer {
  const id = Buffer.from(recordId, 'utf8');
  const f = Buffer.from(field, 'utf8');
  if (id.length === 0 || id.length > 0xffff || f.length === 0 || f.length > 0xffff) {
    throw new Error('sealed box: record id and field must be 1..65535 bytes');
  }
  const out = Buffer.allocUnsafe(AAD_PREFIX.length + 4 + id.length + f.length);
  let o = AAD_PREFIX.copy(out, 0);
  o = out.writeUInt16BE(id.length, o);
  o += id.copy(out, o);
  o = out.writeUInt16BE(f.length, o);
  f.copy(out, o);
  return out;
}

function deriveKey(shared: Buffer, ephemeralPublic: Uint8Array, vaultPublic: Uint8Array): Buffer {
  const salt = Buffer.concat([ephemeralPublic, vaultPublic]);
  return Buffer.from(hkdfSync('sha256', shared, salt, INFO, 32));
}

/** Seals with the vault public key only. Call wipe() when the batch is done. */
export class Sealer {
  readonly #ephemeralPublic: Buffer;
  readonly #key: Buffer;
  #counter = 0;
  #wiped = false;

  constructor(vaultPublicKey: Uint8Array) {
    const eph = generateEphemeral();
    const shared = x25519(eph.privateKey, publicKeyObject(vaultPublicKey));
    this.#ephemeralPublic = eph.publicKey;
    this.#key = deriveKey(shared, eph.publicKey, vaultPublicKey);
    zeroize(shared);
  }

  seal(plaintext: Uint8Array, recordId: string, field: string): Buffer {
    const out = Buffer.allocUnsafe(HEADER + plaintext.length + TAG);
    out[0] = SEALED_BOX_VERSION;
    this.#ephemeralPublic.copy(out, 1);
    if (this.#counter >= 0xffffffff) throw new Error('sealed box: batch too large for one ephemeral key');
    if (this.#wiped) throw new Error('sealed box: sealer used after wipe');
    const nonce = out.subarray(33, HEADER).fill(0);
    nonce.writeUInt32BE(++this.#counter, 8);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(associatedData(recordId, field));
    let o = HEADER + cipher.update(plaintext).copy(out, HEADER);
    o += cipher.final().copy(out, o);
    cipher.getAuthTag().copy(out, o);
    return out;
  }

  wipe(): void {
    this.#key.fill(0);
    this.#wiped = true;
  }
}

/** Seals one value with a fresh ephemeral key. */
export function seal(vaultPublicKey: Uint8Array, plaintext: Uint8Array, recordId: string, field: string): Buffer {
  const sealer = new Sealer(vaultPublicKey);
  try {
    return sealer.seal(plaintext, recordId, field);
  } finally {
    sealer.wipe();
  }
}

/**
 * Opens sealed boxes with the vault private key. Keys derived per ephemeral
 * public key are cached, so a batch opens at the cost of one X25519. wipe()
 * zeroes them; the caller zeroes the raw private key it passed.
 */
export class Opener {
  readonly #private: KeyObject;
  readonly #vaultPublic: Buffer;
  readonly #keys = new Map<string, Buffer>();

  constructor(vaultPrivateKey: Uint8Array, vaultPublicKey: Uint8Array) {
    this.#private = privateKeyObject(vaultPrivateKey);
    this.#vaultPublic = Buffer.from(vaultPublicKey);
  }

  open(sealed: Uint8Array, recordId: string, field: string): Buffer {
    if (sealed.length < HEADER + TAG) throw new AppError('tampered', '暗号化された番号の形式が壊れています。');
    if (sealed[0] !== SEALED_BOX_VERSION) {
      throw new AppError('tampered', `暗号化された番号の形式（版 ${sealed[0]}）に対応していません。`);
    }
    const eph = sealed.subarray(1, 33);
    const cacheKey = Buffer.from(eph).toString('base64');
    let key = this.#keys.get(cacheKey);
    if (key === undefined) {
      let shared: Buffer;
      try {
        shared = x25519(this.#private, publicKeyObject(eph));
      } catch (cause) {
        // A low-order or malformed ephemeral key: the box was not made by a Sealer.
        throw new AppError('tampered', '暗号化された番号の形式が壊れています。', { cause });
      }
      key = deriveKey(shared, eph, this.#vaultPublic);
      zeroize(shared);
      this.#keys.set(cacheKey, key);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(33, HEADER));
    decipher.setAAD(associatedData(recordId, field));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER, sealed.length - TAG)), decipher.final()]);
    } catch (cause) {
      throw new AppError('tampered', '暗号化された番号を開けませんでした（鍵または記録の対応が一致しません）。', { cause });
    }
  }

  wipe(): void {
    for (const k of this.#keys.values()) k.fill(0);
    this.#keys.clear();
  }
}
