import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';

/**
 * Keys for the second factor, derived (HKDF-SHA-256) from the vault's pepper,
 * which lives only wrapped under the credential. So a copied database file
 * (even decrypted) gives neither the TOTP secrets nor a way to test guesses
 * of recovery codes, and `rekey` (which re-wraps the pepper) keeps them valid.
 */
function derive(pepper: Secret<Buffer>, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', pepper.expose(), Buffer.alloc(0), info, 32));
}

const aad = (vaultId: string, userId: string) => Buffer.from(`mnvault/totp/v1\0${vaultId}\0${userId}`, 'utf8');

/** Format: version[1]=1 ‖ nonce[12] ‖ ciphertext ‖ tag[16]; AES-256-GCM bound to the vault and user. */
export function sealTotpSecret(pepper: Secret<Buffer>, vaultId: string, userId: string, secret: Secret<Buffer>): Buffer {
  const key = derive(pepper, 'mnvault/totp-seal/v1');
  try {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad(vaultId, userId));
    return Buffer.concat([Buffer.from([1]), nonce, c.update(secret.expose()), c.final(), c.getAuthTag()]);
  } finally {
    key.fill(0);
  }
}

export function openTotpSecret(pepper: Secret<Buffer>, vaultId: string, userId: string, sealed: Buffer): Secret<Buffer> {
  const key = derive(pepper, 'mnvault/totp-seal/v1');
  try {
    if (sealed[0] !== 1 || sealed.length < 1 + 12 + 16 + 1) throw new Error('unknown TOTP seal format');
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
    d.setAAD(aad(vaultId, userId));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return new Secret(Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]));
  } catch (cause) {
    throw new AppError('tampered', '二要素認証（認証アプリ）の秘密鍵を開けませんでした。記録が壊れているか、別の金庫のものです。管理者に二要素認証のリセットを依頼してください。', { cause });
  } finally {
    key.fill(0);
  }
}

/**
 * A recovery code's keyed hash. The codes are 80 random bits, so a keyed
 * HMAC (not a slow hash) is enough: without the pepper nothing can be tested.
 */
export function recoveryCodeHmac(pepper: Secret<Buffer>, userId: string, code: string | Secret<string>): Buffer {
  const key = derive(pepper, 'mnvault/recovery-code/v1');
  try {
    return createHmac('sha256', key)
      .update(`${userId}\0${typeof code === 'string' ? code : code.expose()}`, 'utf8')
      .digest();
  } finally {
    key.fill(0);
  }
}
