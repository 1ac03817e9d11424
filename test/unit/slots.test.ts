import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import {
  checkPinRules,
  createSlot,
  decodeRecoveryCode,
  generateRecoveryCode,
  newFido2Params,
  newPinParams,
  PRODUCTION_PIN_COST,
  TEST_PIN_COST,
  unlockSlot,
  type SlotRecord,
} from '../../src/vault/slots.js';
import { generateX25519 } from '../../src/vault/x25519.js';
import { expectCode as expectSyncCode } from '../helpers/errors.js';

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe(code);
}


const VAULT_ID = 'vault-0001';
const vaultKey = generateX25519().privateKey;
const pepper = new Secret(randomBytes(32));
const pin = (s: string) => ({ kind: 'pin' as const, pin: new Secret(s) });
const recovery = (s: string) => ({ kind: 'recovery' as const, code: new Secret(s) });
const fido2 = (b: Uint8Array) => ({ kind: 'fido2' as const, hmacSecretOutput: new Secret(b) });

describe('key slots', () => {
  it('unlocks a PIN slot with the same PIN and gives back the private key', async () => {
    const slot = await createSlot(VAULT_ID, 'slot-pin', newPinParams(TEST_PIN_COST), pin('246810'), pepper, new Secret(vaultKey));
    expect(slot.wrapped.length).toBe(12 + 32 + 16);
    expect(slot.wrapped.includes(vaultKey)).toBe(false);
    const key = await unlockSlot(slot, pin('246810'), pepper);
    expect(key.expose().equals(vaultKey)).toBe(true);
    key.wipe();
  });

  it('unlocks a PIN slot with the PIN typed in full-width digits (NFKC)', async () => {
    const slot = await createSlot(VAULT_ID, 'slot-pin-fw', newPinParams(TEST_PIN_COST), pin('73915482'), pepper, new Secret(vaultKey));
    const key = await unlockSlot(slot, pin('７３９１５４８２'), pepper);
    expect(key.expose().equals(vaultKey)).toBe(true);
  });

  it('unlocks a recovery slot with its code and gives back the private key', async () => {
    const code = generateRecoveryCode();
    const slot = await createSlot(VAULT_ID, 'slot-rec', { kind: 'recovery' }, recovery(code.expose()), pepper, new Secret(vaultKey));
    const key = await unlockSlot(slot, recovery(code.expose()), pepper);
    expect(key.expose().equals(vaultKey)).toBe(true);
  });

  it('unlocks a fido2 slot with the same hmac-secret output and gives back the private key', async () => {
    const out = randomBytes(32);
    const params = newFido2Params('cred-1', 'vault.local');
    expect(params).toMatchObject({ kind: 'fido2', credentialId: 'cred-1', rpId: 'vault.local' });
    const slot = await createSlot(VAULT_ID, 'slot-fido', params, fido2(Buffer.from(out)), pepper, new Secret(vaultKey));
    const key = await unlockSlot(slot, fido2(Buffer.from(out)), pepper);
    expect(key.expose().equals(vaultKey)).toBe(true);
  });

  it('gives each PIN slot its own salt and each fido2 slot its own 32-byte salt', () => {
    const a = newPinParams(TEST_PIN_COST);
    const b = newPinParams(TEST_PIN_COST);
    if (a.kind !== 'pin' || b.kind !== 'pin') throw new Error('expected pin params');
    expect(a.scrypt.salt).not.toBe(b.scrypt.salt);
    expect(Buffer.from(a.scrypt.salt, 'base64').length).toBe(16);
    const f = newFido2Params('c', 'r');
    if (f.kind !== 'fido2') throw new Error('expected fido2 params');
    expect(Buffer.from(f.salt, 'base64').length).toBe(32);
  });
});

describe('key slot refusals', () => {
  let pinSlot: SlotRecord;
  let recSlot: SlotRecord;
  let fidoSlot: SlotRecord;
  const code = generateRecoveryCode();
  const out = randomBytes(32);

  it('refuses a wrong PIN as unauthorized', async () => {
    pinSlot = await createSlot(VAULT_ID, 'slot-a', newPinParams(TEST_PIN_COST), pin('246810'), pepper, new Secret(vaultKey));
    await expectCode(unlockSlot(pinSlot, pin('246811'), pepper), 'unauthorized');
    await expectCode(unlockSlot(pinSlot, pin(''), pepper), 'unauthorized');
  });

  it('refuses a different well-formed recovery code as unauthorized', async () => {
    recSlot = await createSlot(VAULT_ID, 'slot-b', { kind: 'recovery' }, recovery(code.expose()), pepper, new Secret(vaultKey));
    await expectCode(unlockSlot(recSlot, recovery(generateRecoveryCode().expose()), pepper), 'unauthorized');
  });

  it('refuses a malformed recovery code as invalid', async () => {
    recSlot ??= await createSlot(VAULT_ID, 'slot-b', { kind: 'recovery' }, recovery(code.expose()), pepper, new Secret(vaultKey));
    await expectCode(unlockSlot(recSlot, recovery('not a code'), pepper), 'invalid');
  });

  it('refuses a wrong fido2 output, or one of the wrong length, as unauthorized', async () => {
    fidoSlot = await createSlot(VAULT_ID, 'slot-c', newFido2Params('cred', 'rp'), fido2(Buffer.from(out)), pepper, new Secret(vaultKey));
    const wrong = Buffer.from(out);
    wrong[31]! ^= 1;
    await expectCode(unlockSlot(fidoSlot, fido2(wrong), pepper), 'unauthorized');
    await expectCode(unlockSlot(fidoSlot, fido2(out.subarray(0, 31)), pepper), 'unauthorized');
  });

  it('refuses the right input under a different pepper as unauthorized', async () => {
    const other = new Secret(randomBytes(32));
    const s = await createSlot(VAULT_ID, 'slot-d', newPinParams(TEST_PIN_COST), pin('246810'), pepper, new Secret(vaultKey));
    await expectCode(unlockSlot(s, pin('246810'), other), 'unauthorized');
    const r = await createSlot(VAULT_ID, 'slot-e', { kind: 'recovery' }, recovery(code.expose()), pepper, new Secret(vaultKey));
    await expectCode(unlockSlot(r, recovery(code.expose()), other), 'unauthorized');
    const f = await createSlot(VAULT_ID, 'slot-f', newFido2Params('c', 'r'), fido2(Buffer.from(out)), pepper, new Secret(vaultKey));
    await expectCode(unlockSlot(f, fido2(Buffer.from(out)), other), 'unauthorized');
  });

  it('refuses a slot whose id or vault id was changed (bound into the key and associated data)', async () => {
    const s = await createSlot(VAULT_ID, 'slot-g', newFido2Params('c', 'r'), fido2(Buffer.from(out)), pepper, new Secret(vaultKey));
    expect((await unlockSlot(s, fido2(Buffer.from(out)), pepper)).expose().equals(vaultKey)).toBe(true);
    await expectCode(unlockSlot({ ...s, id: 'slot-h' }, fido2(Buffer.from(out)), pepper), 'unauthorized');
    await expectCode(unlockSlot({ ...s, vaultId: 'vault-0002' }, fido2(Buffer.from(out)), pepper), 'unauthorized');
    const p = await createSlot(VAULT_ID, 'slot-i', newPinParams(TEST_PIN_COST), pin('246810'), pepper, new Secret(vaultKey));
    await expectCode(unlockSlot({ ...p, vaultId: 'vault-0002' }, pin('246810'), pepper), 'unauthorized');
    await expectCode(unlockSlot({ ...p, id: 'slot-j' }, pin('246810'), pepper), 'unauthorized');
  });

  it('refuses a slot whose wrapped bytes were altered', async () => {
    const s = await createSlot(VAULT_ID, 'slot-k', newFido2Params('c', 'r'), fido2(Buffer.from(out)), pepper, new Secret(vaultKey));
    for (const pos of [0, 11, 12, 43, 44, 59]) {
      const wrapped = Buffer.from(s.wrapped);
      wrapped[pos]! ^= 0x01;
      await expectCode(unlockSlot({ ...s, wrapped }, fido2(Buffer.from(out)), pepper), 'unauthorized');
    }
  });

  it('refuses a PIN slot whose scrypt salt was changed', async () => {
    const s = await createSlot(VAULT_ID, 'slot-l', newPinParams(TEST_PIN_COST), pin('246810'), pepper, new Secret(vaultKey));
    if (s.params.kind !== 'pin') throw new Error('expected pin params');
    const params = { kind: 'pin' as const, scrypt: { ...s.params.scrypt, salt: randomBytes(16).toString('base64') } };
    await expectCode(unlockSlot({ ...s, params }, pin('246810'), pepper), 'unauthorized');
  });
});

describe('recovery codes', () => {
  it('have eight groups of four Crockford base32 characters', () => {
    for (let i = 0; i < 50; i++) {
      const c = generateRecoveryCode().expose();
      expect(c).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/u);
      expect(c).not.toMatch(/[ILOU]/u);
    }
  });

  it('decode to 20 bytes, and distinct codes decode to distinct bytes', () => {
    const a = generateRecoveryCode().expose();
    const b = generateRecoveryCode().expose();
    expect(a).not.toBe(b);
    expect(decodeRecoveryCode(a).length).toBe(20);
    expect(decodeRecoveryCode(a).equals(decodeRecoveryCode(b))).toBe(false);
  });

  it('decode a known code to known bytes', () => {
    expect(decodeRecoveryCode('0000-0000-0000-0000-0000-0000-0000-0000').equals(Buffer.alloc(20))).toBe(true);
    expect(decodeRecoveryCode('ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ').equals(Buffer.alloc(20, 0xff))).toBe(true);
    // 0x00 0x44 0x32 0x14 0xc7 = 00000 00001 00010 00011 00100 00101 00110 00111 → "0123 4567"
    expect(decodeRecoveryCode('01234567'.repeat(4)).subarray(0, 5).toString('hex')).toBe('00443214c7');
  });

  it('tolerate lowercase, spaces, missing hyphens and the look-alikes O, I and L', () => {
    for (let i = 0; i < 30; i++) {
      const code = generateRecoveryCode().expose();
      const expected = decodeRecoveryCode(code);
      const variants = [
        code.toLowerCase(),
        code.replace(/-/gu, ''),
        code.replace(/-/gu, ' '),
        ` ${code.replace(/-/gu, '  ')} `,
        code.replace(/0/gu, 'O'),
        code.replace(/0/gu, 'o'),
        code.replace(/1/gu, 'I'),
        code.replace(/1/gu, 'l'),
        code.replace(/1/gu, 'L').toLowerCase().replace(/-/gu, ''),
        code.replace(/[0-9A-Z]/gu, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
      ];
      for (const v of variants) expect(decodeRecoveryCode(v).equals(expected), v).toBe(true);
    }
  });

  it('unlock a recovery slot when typed sloppily', async () => {
    const code = generateRecoveryCode();
    const slot = await createSlot(VAULT_ID, 'slot-r', { kind: 'recovery' }, recovery(code.expose()), pepper, new Secret(vaultKey));
    const sloppy = code.expose().toLowerCase().replace(/-/gu, ' ').replace(/0/gu, 'o').replace(/1/gu, 'l');
    expect((await unlockSlot(slot, recovery(sloppy), pepper)).expose().equals(vaultKey)).toBe(true);
  });

  it.each([
    '',
    'ABCD',
    '0000-0000-0000-0000-0000-0000-0000-000',
    '0000-0000-0000-0000-0000-0000-0000-00000',
    'UUUU-0000-0000-0000-0000-0000-0000-0000',
    '0000-0000-0000-0000-0000-0000-0000-000!',
  ])('reject the malformed code %j as invalid', (code) => {
    expectSyncCode(() => decodeRecoveryCode(code), 'invalid');
  });
});

describe('checkPinRules', () => {
  it.each(['123456', '111111', '12345', 'abcdef', '987654', '000000', '1234567890123', '12345a', '890123'])('rejects %j', (p) => {
    expect(checkPinRules(p)).toEqual(expect.any(String));
  });

  it.each(['246810', '73915482', '135792', '１３５７９２'])('accepts %j', (p) => {
    expect(checkPinRules(p)).toBeUndefined();
  });

  it('explains why: too short, repeated digit, or a run', () => {
    expect(checkPinRules('12345')).toContain('6〜12桁');
    expect(checkPinRules('111111')).toContain('同じ数字');
    expect(checkPinRules('123456')).toContain('連続');
  });
});

describe('unwrapped key as a Secret', () => {
  it('prints [redacted] and wipes its buffer to zeros', async () => {
    const out = randomBytes(32);
    const slot = await createSlot(VAULT_ID, 'slot-s', newFido2Params('c', 'r'), fido2(Buffer.from(out)), pepper, new Secret(vaultKey));
    const key = await unlockSlot(slot, fido2(Buffer.from(out)), pepper);
    const hex = vaultKey.toString('hex');
    const b64 = vaultKey.toString('base64');
    for (const s of [String(key), `${key}`, JSON.stringify(key), JSON.stringify({ key }), inspect(key), inspect({ key }, { depth: 9 })]) {
      expect(s).toContain('[redacted]');
      expect(s).not.toContain(hex.slice(0, 16));
      expect(s).not.toContain(b64.slice(0, 12));
      expect(s).not.toMatch(/\b[0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2}\b/u); // no <Buffer ...> dump
    }
    const buf = key.expose();
    expect(buf.some((b) => b !== 0)).toBe(true);
    expect(key.wiped).toBe(false);
    key.wipe();
    expect(buf.every((b) => b === 0)).toBe(true);
    expect(buf.length).toBe(32);
    expect(key.wiped).toBe(true);
    expect(() => key.expose()).toThrow();
    // the caller's own copy of the private key is untouched
    expect(vaultKey.some((b) => b !== 0)).toBe(true);
  });
});

describe('PIN cost', () => {
  it('is N=2^17, r=8, p=1 in production and the default of newPinParams()', () => {
    expect(PRODUCTION_PIN_COST).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const p = newPinParams();
    if (p.kind !== 'pin') throw new Error('expected pin params');
    expect(p.scrypt).toMatchObject({ N: 131072, r: 8, p: 1 });
    expect(TEST_PIN_COST.N).toBeLessThan(PRODUCTION_PIN_COST.N);
  });

  it('creates a slot at production cost within the scrypt memory limit (runs scrypt once)', async () => {
    const slot = await createSlot(VAULT_ID, 'slot-prod', newPinParams(), pin('73915482'), pepper, new Secret(vaultKey));
    expect(slot.wrapped.length).toBe(60);
    expect(slot.params).toMatchObject({ kind: 'pin', scrypt: { N: 2 ** 17, r: 8, p: 1 } });
  });
});
