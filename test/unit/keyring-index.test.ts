import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../../src/domain/errors.js';
import { MyNumber } from '../../src/domain/my-number.js';
import { Secret } from '../../src/domain/secret.js';
import { generateServiceKeys, SERVICE_KEY_NAMES, unwrapServiceKey, wipeServiceKeys, wrapServiceKey } from '../../src/vault/keyring.js';
import { numberIndex } from '../../src/vault/number-index.js';
import { expectCode } from '../helpers/errors.js';


const key = () => new Secret(randomBytes(32));

describe('keyring', () => {
  it('unwraps what it wrapped, for every service key name', () => {
    const kek = key();
    const keys = generateServiceKeys();
    for (const name of SERVICE_KEY_NAMES) {
      const wrapped = wrapServiceKey(kek, 'vault-1', name, keys[name]);
      expect(wrapped.length).toBe(12 + 32 + 16);
      expect(wrapped.includes(keys[name].expose())).toBe(false);
      expect(unwrapServiceKey(kek, 'vault-1', name, wrapped).expose().equals(keys[name].expose())).toBe(true);
    }
  });

  it('generates three distinct 32-byte service keys and wipes them all', () => {
    const keys = generateServiceKeys();
    const raw = SERVICE_KEY_NAMES.map((n) => keys[n].expose());
    for (const b of raw) expect(b.length).toBe(32);
    expect(new Set(raw.map((b) => b.toString('hex'))).size).toBe(3);
    wipeServiceKeys(keys);
    for (const b of raw) expect(b.every((x) => x === 0)).toBe(true);
    for (const n of SERVICE_KEY_NAMES) expect(keys[n].wiped).toBe(true);
  });

  it('refuses a wrong kek with wrong_key', () => {
    const wrapped = wrapServiceKey(key(), 'vault-1', 'audit', key());
    expectCode(() => unwrapServiceKey(key(), 'vault-1', 'audit', wrapped), 'wrong_key');
  });

  it('refuses another vault id or another key name with wrong_key', () => {
    const kek = key();
    const wrapped = wrapServiceKey(kek, 'vault-1', 'index', key());
    expectCode(() => unwrapServiceKey(kek, 'vault-2', 'index', wrapped), 'wrong_key');
    expectCode(() => unwrapServiceKey(kek, 'vault-1', 'pepper', wrapped), 'wrong_key');
    expectCode(() => unwrapServiceKey(kek, 'vault-1', 'audit', wrapped), 'wrong_key');
  });

  it('refuses altered or truncated wrapped bytes with wrong_key', () => {
    const kek = key();
    const wrapped = wrapServiceKey(kek, 'vault-1', 'audit', key());
    for (const pos of [0, 12, 43, 59]) {
      const bad = Buffer.from(wrapped);
      bad[pos]! ^= 1;
      expectCode(() => unwrapServiceKey(kek, 'vault-1', 'audit', bad), 'wrong_key');
    }
    expectCode(() => unwrapServiceKey(kek, 'vault-1', 'audit', wrapped.subarray(0, 20)), 'wrong_key');
  });

  it('does not name the key material in the wrong_key message', () => {
    const kek = key();
    const secret = key();
    const wrapped = wrapServiceKey(kek, 'vault-1', 'pepper', secret);
    try {
      unwrapServiceKey(key(), 'vault-1', 'pepper', wrapped);
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).publicMessage).not.toContain(secret.expose().toString('hex').slice(0, 8));
      expect((e as AppError).publicMessage).toContain('pepper');
    }
  });
});

describe('numberIndex', () => {
  const n = MyNumber.parse('123456789018');

  it('is deterministic for the same key and number, whatever way the number was typed', () => {
    const k = key();
    const a = numberIndex(k, n);
    expect(numberIndex(k, n).equals(a)).toBe(true);
    expect(numberIndex(k, MyNumber.parse('１２３４ ５６７８ ９０１８')).equals(a)).toBe(true);
  });

  it('differs across keys and across numbers', () => {
    const k = key();
    expect(numberIndex(k, n).equals(numberIndex(key(), n))).toBe(false);
    expect(numberIndex(k, n).equals(numberIndex(k, MyNumber.parse('987654321093')))).toBe(false);
  });

  it('is 32 bytes', () => {
    expect(numberIndex(key(), n).length).toBe(32);
  });

  it('is not an unkeyed hash of the digits', () => {
    const k = key();
    const idx = numberIndex(k, n);
    expect(idx.equals(createHash('sha256').update('123456789018').digest())).toBe(false);
    expect(idx.equals(createHash('sha256').update('mnvault/number/v1\u0000123456789018').digest())).toBe(false);
    expect(idx.equals(createHmac('sha256', Buffer.alloc(32)).update('mnvault/number/v1\u0000123456789018').digest())).toBe(false);
  });

  it('keeps its stored format: HMAC-SHA-256(key, "mnvault/number/v1\\0" ‖ digits)', () => {
    // Index values are persisted for duplicate detection; changing this breaks matching of existing records.
    const k = new Secret(Buffer.alloc(32, 0x11));
    const expected = createHmac('sha256', Buffer.alloc(32, 0x11)).update('mnvault/number/v1\u0000123456789018').digest();
    expect(numberIndex(k, n).toString('hex')).toBe(expected.toString('hex'));
  });
});
