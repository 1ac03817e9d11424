import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';

/**
 * The service keys kept in the vault, each wrapped (AES-256-GCM) under a key
 * derived from the credential, so they change owner with `rekey` and never
 * exist outside this process unwrapped:
 * - audit: HMAC key of the audit chain;
 * - index: HMAC key for matching numbers (duplicate detection);
 * - pepper: mixed into every key slot, so a copied database allows no offline PIN guessing.
 */
export type ServiceKeyName = 'audit' | 'index' | 'pepper';
export const SERVICE_KEY_NAMES: readonly ServiceKeyName[] = ['audit', 'index', 'pepper'];

export interface ServiceKeys {
  audit: Secret<Buffer>;
  index: Secret<Buffer>;
  pepper: Secret<Buffer>;
}

function aad(name: string, vaultId: string): Buffer {
  return Buffer.from(`mnvault/keyring/v1\0${vaultId}\0${name}`, 'utf8');
}

export function generateServiceKeys(): ServiceKeys {
  return { audit: new Secret(randomBytes(32)), index: new Secret(randomBytes(32)), pepper: new Secret(randomBytes(32)) };
}

/** nonce[12] ‖ ciphertext[32] ‖ tag[16] */
export function wrapServiceKey(kek: Secret<Buffer>, vaultId: string, name: ServiceKeyName, key: Secret<Buffer>): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek.expose(), nonce);
  c.setAAD(aad(name, vaultId));
  return Buffer.concat([nonce, c.update(key.expose()), c.final(), c.getAuthTag()]);
}

export function unwrapServiceKey(kek: Secret<Buffer>, vaultId: string, name: ServiceKeyName, wrapped: Buffer): Secret<Buffer> {
  try {
    const d = createDecipheriv('aes-256-gcm', kek.expose(), wrapped.subarray(0, 12));
    d.setAAD(aad(name, vaultId));
    d.setAuthTag(wrapped.subarray(wrapped.length - 16));
    return new Secret(Buffer.concat([d.update(wrapped.subarray(12, wrapped.length - 16)), d.final()]));
  } catch (cause) {
    throw new AppError('wrong_key', `金庫の鍵束（${name}）を開けませんでした。データベース鍵が正しいか確認してください。`, { cause });
  }
}

export function wipeServiceKeys(keys: ServiceKeys): void {
  keys.audit.wipe();
  keys.index.wipe();
  keys.pepper.wipe();
}
