import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { Secret, zeroize } from '../domain/secret.js';

/**
 * Key slots hold the vault private key wrapped under a key that only a person
 * can produce, like LUKS keyslots. Every kind goes through the same two steps:
 *
 *   wrapKey = HKDF-SHA-256(ikm = material(kind, input) ‖ pepper, salt = slot id,
 *                          info = "mnvault/slot/v1/" + kind, 32 bytes)
 *   wrapped = nonce[12] ‖ AES-256-GCM(wrapKey, vault private key)[32] ‖ tag[16],
 *             aad = "mnvault/slot/v1" ‖ vault id ‖ slot id ‖ kind
 *
 * material(pin) = scrypt(PIN, params.salt, params.N, params.r, params.p);
 * material(recovery) = the decoded recovery code;
 * material(fido2) = the authenticator's hmac-secret output for params.salt
 *   (the gate asks the key for it; this module only sees the 32 bytes).
 */
export type SlotKind = 'pin' | 'recovery' | 'fido2';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  salt: string; // base64
}

export type SlotParams =
  | { kind: 'pin'; scrypt: ScryptParams }
  | { kind: 'recovery' }
  | { kind: 'fido2'; credentialId: string; rpId: string; salt: string };

export type SlotInput =
  | { kind: 'pin'; pin: Secret<string> }
  | { kind: 'recovery'; code: Secret<string> }
  | { kind: 'fido2'; hmacSecretOutput: Secret<Uint8Array> };

/** What the vault stores for a slot; `wrapped` is useless without the input and the pepper. */
export interface SlotRecord {
  id: string;
  vaultId: string;
  params: SlotParams;
  wrapped: Buffer;
}

/** About 250 ms on the appliance's 2-core x86 (measured: N=2^17 r=8 ≈ 257 ms, 128 MiB). */
export const PRODUCTION_PIN_COST = { N: 2 ** 17, r: 8, p: 1 } as const;
/** For tests only, where hundreds of slots are opened. */
export const TEST_PIN_COST = { N: 2 ** 10, r: 8, p: 1 } as const;

export type PinCost = { N: number; r: number; p: number };

const scrypt = (password: string | Buffer, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

export function newPinParams(cost: PinCost = PRODUCTION_PIN_COST): SlotParams {
  return { kind: 'pin', scrypt: { ...cost, salt: randomBytes(16).toString('base64') } };
}

export function newFido2Params(credentialId: string, rpId: string): SlotParams {
  return { kind: 'fido2', credentialId, rpId, salt: randomBytes(32).toString('base64') };
}

async function material(params: SlotParams, input: SlotInput): Promise<Buffer> {
  if (params.kind !== input.kind) throw new Error(`slot kind ${params.kind} cannot take ${input.kind} input`);
  switch (input.kind) {
    case 'pin': {
      const s = (params as Extract<SlotParams, { kind: 'pin' }>).scrypt;
      return scrypt(input.pin.expose().normalize('NFKC'), Buffer.from(s.salt, 'base64'), 32, {
        N: s.N,
        r: s.r,
        p: s.p,
        maxmem: 256 * s.N * s.r + 16 * 1024 * 1024,
      });
    }
    case 'recovery':
      return decodeRecoveryCode(input.code.expose());
    case 'fido2': {
      const out = input.hmacSecretOutput.expose();
      if (out.length !== 32) throw new AppError('unauthorized', 'セキュリティキーの応答が不正です。もう一度タッチしてください。');
      return Buffer.from(out);
    }
  }
}

async function wrapKeyFor(slotId: string, params: SlotParams, input: SlotInput, pepper: Secret<Buffer>): Promise<Buffer> {
  const m = await material(params, input);
  const ikm = Buffer.concat([m, pepper.expose()]);
  try {
    return Buffer.from(hkdfSync('sha256', ikm, slotId, `mnvault/slot/v1/${params.kind}`, 32));
  } finally {
    zeroize(m, ikm);
  }
}

function slotAad(vaultId: string, slotId: string, kind: SlotKind): Buffer {
  return Buffer.from(`mnvault/slot/v1\0${vaultId}\0${slotId}\0${kind}`, 'utf8');
}

/** Wraps the vault private key into a new slot. The caller keeps ownership of privateKey (and wipes it). */
export async function createSlot(
  vaultId: string,
  slotId: string,
  params: SlotParams,
  input: SlotInput,
  pepper: Secret<Buffer>,
  privateKey: Secret<Uint8Array>,
): Promise<SlotRecord> {
  const wrapKey = await wrapKeyFor(slotId, params, input, pepper);
  try {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', wrapKey, nonce);
    c.setAAD(slotAad(vaultId, slotId, params.kind));
    const wrapped = Buffer.concat([nonce, c.update(privateKey.expose()), c.final(), c.getAuthTag()]);
    return { id: slotId, vaultId, params, wrapped };
  } finally {
    zeroize(wrapKey);
  }
}

/**
 * Unwraps the vault private key. A wrong PIN, code or authenticator output
 * fails the GCM tag and throws 'unauthorized'. The caller must wipe() the result.
 */
export async function unlockSlot(slot: SlotRecord, input: SlotInput, pepper: Secret<Buffer>): Promise<Secret<Buffer>> {
  const wrapKey = await wrapKeyFor(slot.id, slot.params, input, pepper);
  try {
    const d = createDecipheriv('aes-256-gcm', wrapKey, slot.wrapped.subarray(0, 12));
    d.setAAD(slotAad(slot.vaultId, slot.id, slot.params.kind));
    d.setAuthTag(slot.wrapped.subarray(slot.wrapped.length - 16));
    const key = Buffer.concat([d.update(slot.wrapped.subarray(12, slot.wrapped.length - 16)), d.final()]);
    return new Secret(key);
  } catch (cause) {
    const what = { pin: 'PIN', recovery: '回復コード', fido2: 'セキュリティキー' }[slot.params.kind];
    throw new AppError('unauthorized', `${what}が正しくありません。`, { cause });
  } finally {
    zeroize(wrapKey);
  }
}

// Recovery codes: 160 random bits in Crockford base32, 8 groups of 4: "7K2M-…".
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function generateRecoveryCode(): Secret<string> {
  const bytes = randomBytes(20);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  bytes.fill(0);
  return new Secret(out.match(/.{4}/gu)!.join('-'));
}

/** Tolerates case, spaces, hyphens and the look-alikes O→0, I/L→1. */
export function decodeRecoveryCode(code: string): Buffer {
  const s = code
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s-]/gu, '')
    .replace(/O/gu, '0')
    .replace(/[IL]/gu, '1');
  if (s.length !== 32 || /[^0-9A-HJKMNP-TV-Z]/u.test(s)) {
    throw new AppError('invalid', '回復コードの形式が正しくありません。金庫に保管した用紙の32文字（4文字×8組）をそのまま入力してください。');
  }
  const out = Buffer.alloc(20);
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const ch of s) {
    value = ((value << 5) | B32.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

/** 6 to 12 digits, not all the same and not a plain run such as 123456. */
export function checkPinRules(pin: string | Secret<string>): string | undefined {
  const s = (typeof pin === 'string' ? pin : pin.expose()).normalize('NFKC');
  if (!/^[0-9]{6,12}$/u.test(s)) return 'PINは6〜12桁の数字で設定してください。';
  if (/^(\d)\1+$/u.test(s)) return 'PINに同じ数字だけの並びは使えません。';
  if ('01234567890123456789'.includes(s) || '98765432109876543210'.includes(s)) {
    return 'PINに連続した数字（123456など）は使えません。';
  }
  return undefined;
}

/** Whether two PINs are the same once normalised (full-width digits are the digits they show). */
export function samePin(a: Secret<string>, b: Secret<string>): boolean {
  return a.expose().normalize('NFKC') === b.expose().normalize('NFKC');
}
