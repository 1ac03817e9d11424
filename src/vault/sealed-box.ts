import { createCipheriv, createDecipheriv, createHash, hkdfSync, type KeyObject } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { zeroize } from '../domain/secret.js';
import { generateEphemeral, privateKeyObject, publicKeyObject, x25519 } from './x25519.js';

/**
 * Sealed box, format version 2 (what Sealer writes):
 *
 *   sealed = 0x02 ‖ keyId[8] ‖ ephemeralPublic[32] ‖ nonce[12] ‖ AES-256-GCM ciphertext ‖ tag[16]
 *   keyId  = SHA-256("mnvault key-id v1" ‖ vaultPublic)[0..8]
 *   key    = HKDF-SHA-256(ikm = X25519(ephemeral, vault), salt = ephemeralPublic ‖ vaultPublic,
 *                         info = "mnvault sealed-box v2" ‖ keyId, 32 bytes)
 *   aad    = "mnvault/v2" ‖ u16 len ‖ recordId ‖ u16 len ‖ field      (UTF-8)
 *
 * The key id names the vault key pair a box was sealed to, so during a vault
 * key rotation every box says which private key opens it.
 *
 * Format version 1 (still opened; test/vectors/sealed-box-v1.json must always open)
 * has no key id and belongs to a vault's first key pair:
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
/** The version Sealer writes. */
export const SEALED_BOX_VERSION = 2;
const HEADER = 1 + 32 + 12;
const KEY_ID = 8;
const HEADER_V2 = 1 + KEY_ID + 32 + 12;
const TAG = 16;
const INFO = Buffer.from('mnvault sealed-box v1');
const INFO_V2 = Buffer.from('mnvault sealed-box v2');
const AAD_PREFIX = Buffer.from('mnvault/v1');
const AAD_PREFIX_V2 = Buffer.from('mnvault/v2');

/** The 8-byte id of a vault key pair, from its public key. */
export function vaultKeyId(vaultPublicKey: Uint8Array): Buffer {
  return createHash('sha256').update('mnvault key-id v1').update(vaultPublicKey).digest().subarray(0, KEY_ID);
}

/**
 * The key id as the audit trail records it: base64url, 11 characters. Hex (16 characters) can hold a
 * run of exactly twelve digits between two letters, which the trail's guard refuses as a possible
 * My Number — for one key in a few hundred, whose rotation could then never be recorded.
 */
export function vaultKeyIdText(vaultPublicKey: Uint8Array): string {
  return vaultKeyId(vaultPublicKey).toString('base64url');
}

/** The key id a box names (version 2), or undefined for version 1, which names none. */
export function sealedKeyId(sealed: Uint8Array): Buffer | undefined {
  if (sealed[0] !== 2 || sealed.length < HEADER_V2 + TAG) return undefined;
  return Buffer.from(sealed.subarray(1, 1 + KEY_ID));
}

export function associatedData(recordId: string, field: string, version = 1): Buffer {
  const prefix = version === 2 ? AAD_PREFIX_V2 : AAD_PREFIX;
  const id = Buffer.from(recordId, 'utf8');
  const f = Buffer.from(field, 'utf8');
  if (id.length === 0 || id.length > 0xffff || f.length === 0 || f.length > 0xffff) {
    throw new Error('sealed box: record id and field must be 1..65535 bytes');
  }
  const out = Buffer.allocUnsafe(prefix.length + 4 + id.length + f.length);
  let o = prefix.copy(out, 0);
  o = out.writeUInt16BE(id.length, o);
  o += id.copy(out, o);
  o = out.writeUInt16BE(f.length, o);
  f.copy(out, o);
  return out;
}

function deriveKey(shared: Buffer, ephemeralPublic: Uint8Array, vaultPublic: Uint8Array, keyId?: Buffer): Buffer {
  const salt = Buffer.concat([ephemeralPublic, vaultPublic]);
  return Buffer.from(hkdfSync('sha256', shared, salt, keyId ? Buffer.concat([INFO_V2, keyId]) : INFO, 32));
}

/** Seals with the vault public key only. Call wipe() when the batch is done. */
export class Sealer {
  readonly #ephemeralPublic: Buffer;
  readonly #keyId: Buffer;
  readonly #key: Buffer;
  #counter = 0;
  #wiped = false;

  constructor(vaultPublicKey: Uint8Array) {
    const eph = generateEphemeral();
    const shared = x25519(eph.privateKey, publicKeyObject(vaultPublicKey));
    this.#ephemeralPublic = eph.publicKey;
    this.#keyId = vaultKeyId(vaultPublicKey);
    this.#key = deriveKey(shared, eph.publicKey, vaultPublicKey, this.#keyId);
    zeroize(shared);
  }

  seal(plaintext: Uint8Array, recordId: string, field: string): Buffer {
    const out = Buffer.allocUnsafe(HEADER_V2 + plaintext.length + TAG);
    out[0] = SEALED_BOX_VERSION;
    this.#keyId.copy(out, 1);
    this.#ephemeralPublic.copy(out, 1 + KEY_ID);
    if (this.#counter >= 0xffffffff) throw new Error('sealed box: batch too large for one ephemeral key');
    if (this.#wiped) throw new Error('sealed box: sealer used after wipe');
    const nonce = out.subarray(HEADER_V2 - 12, HEADER_V2).fill(0);
    nonce.writeUInt32BE(++this.#counter, 8);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(associatedData(recordId, field, 2));
    let o = HEADER_V2 + cipher.update(plaintext).copy(out, HEADER_V2);
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
 * Opens sealed boxes (versions 1 and 2) with the vault private key. Keys
 * derived per ephemeral public key are cached, so a batch opens at the cost of
 * one X25519. wipe() zeroes them; the caller zeroes the raw private key it passed.
 * A version 2 box naming another key pair is refused as 'tampered'.
 */
export class Opener {
  readonly #private: KeyObject;
  readonly #vaultPublic: Buffer;
  /** The id of the key pair this opener holds (see vaultKeyId). */
  readonly keyId: Buffer;
  readonly #keys = new Map<string, Buffer>();

  constructor(vaultPrivateKey: Uint8Array, vaultPublicKey: Uint8Array) {
    this.#private = privateKeyObject(vaultPrivateKey);
    this.#vaultPublic = Buffer.from(vaultPublicKey);
    this.keyId = vaultKeyId(vaultPublicKey);
  }

  open(sealed: Uint8Array, recordId: string, field: string): Buffer {
    const version = sealed[0];
    if (version !== 1 && version !== 2) {
      if (sealed.length < HEADER + TAG) throw new AppError('tampered', '暗号化された番号の形式が壊れています。');
      throw new AppError('tampered', `暗号化された番号の形式（版 ${version}）に対応していません。`);
    }
    const header = version === 2 ? HEADER_V2 : HEADER;
    if (sealed.length < header + TAG) throw new AppError('tampered', '暗号化された番号の形式が壊れています。');
    let keyId: Buffer | undefined;
    if (version === 2) {
      keyId = Buffer.from(sealed.subarray(1, 1 + KEY_ID));
      if (!keyId.equals(this.keyId)) {
        throw new AppError('tampered', '暗号化された番号を開けませんでした（別の金庫の鍵で封をされています）。');
      }
    }
    const eph = sealed.subarray(header - 44, header - 12);
    const cacheKey = `${version}:${Buffer.from(eph).toString('base64')}`;
    let key = this.#keys.get(cacheKey);
    if (key === undefined) {
      let shared: Buffer;
      try {
        shared = x25519(this.#private, publicKeyObject(eph));
      } catch (cause) {
        // A low-order or malformed ephemeral key: the box was not made by a Sealer.
        throw new AppError('tampered', '暗号化された番号の形式が壊れています。', { cause });
      }
      key = deriveKey(shared, eph, this.#vaultPublic, keyId);
      zeroize(shared);
      this.#keys.set(cacheKey, key);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(header - 12, header));
    decipher.setAAD(associatedData(recordId, field, version));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(header, sealed.length - TAG)), decipher.final()]);
    } catch (cause) {
      throw new AppError('tampered', '暗号化された番号を開けませんでした（鍵または記録の対応が一致しません）。', { cause });
    }
  }

  wipe(): void {
    for (const k of this.#keys.values()) k.fill(0);
    this.#keys.clear();
  }
}
