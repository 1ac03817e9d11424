import { createCipheriv, createECDH, createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptPinToken,
  ecdhCoseKey,
  ecdhPointFromCose,
  encapsulate,
  hmacSecretInput,
  hmacSecretOutputs,
  newKeyAgreementKey,
  pinHashEnc,
  protocolOne,
  protocolTwo,
  sharedSecret,
  verifyMac,
} from '../../src/devices/pin-uv-auth.js';

/** HKDF-SHA-256 written out from RFC 5869 (extract, then one expand block), independent of hkdfSync. */
function rfc5869(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  return createHmac('sha256', prk).update(Buffer.concat([Buffer.from(info), Uint8Array.of(1)])).digest();
}

/** One AES-256 block, encrypted without any chaining. */
function aesBlock(key: Uint8Array, block: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

const xor = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.map((v, i) => v ^ b[i]!));
const Z = Buffer.from('7e1f8bb2a3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e', 'hex');

describe('PIN/UV auth protocol 2', () => {
  it('derives the HMAC and AES keys with HKDF-SHA-256 as RFC 5869 computes them', () => {
    const secret = protocolTwo().kdf(Z);
    expect(secret.length).toBe(64);
    expect(secret.subarray(0, 32).equals(rfc5869(Z, Buffer.alloc(32), 'CTAP2 HMAC key'))).toBe(true);
    expect(secret.subarray(32).equals(rfc5869(Z, Buffer.alloc(32), 'CTAP2 AES key'))).toBe(true);
  });

  it('puts the IV in front of AES-256-CBC under the second half of the secret', () => {
    const iv = Buffer.alloc(16, 0xa5);
    const p2 = protocolTwo(() => iv);
    const secret = p2.kdf(Z);
    const plain = Buffer.alloc(32, 0x11);
    const ct = p2.encrypt(secret, plain);
    expect(ct.length).toBe(48);
    expect(ct.subarray(0, 16).equals(iv)).toBe(true);
    const first = aesBlock(secret.subarray(32), xor(plain.subarray(0, 16), iv));
    expect(ct.subarray(16, 32).equals(first)).toBe(true);
    expect(ct.subarray(32, 48).equals(aesBlock(secret.subarray(32), xor(plain.subarray(16), first)))).toBe(true);
    expect(p2.decrypt(secret, ct).equals(plain)).toBe(true);
  });

  it('authenticates with the full HMAC-SHA-256 under the first half (or a whole 32-byte token)', () => {
    const p2 = protocolTwo();
    const secret = p2.kdf(Z);
    const msg = Buffer.from('saltEnc');
    const mac = p2.authenticate(secret, msg);
    expect(mac.equals(createHmac('sha256', secret.subarray(0, 32)).update(msg).digest())).toBe(true);
    expect(verifyMac(p2, secret, msg, mac)).toBe(true);
    expect(verifyMac(p2, secret, msg, mac.subarray(0, 16))).toBe(false);
    const token = randomBytes(32);
    expect(p2.authenticate(token, msg).equals(createHmac('sha256', token).update(msg).digest())).toBe(true);
  });

  it('refuses ciphertexts that are not IV plus whole blocks, and keys that are not 64 bytes', () => {
    const p2 = protocolTwo();
    const secret = p2.kdf(Z);
    expect(() => p2.decrypt(secret, new Uint8Array(8))).toThrow(/shorter than its IV/);
    expect(() => p2.decrypt(secret, new Uint8Array(20))).toThrow(/AES blocks/);
    expect(() => p2.encrypt(secret.subarray(0, 32), new Uint8Array(16))).toThrow(/64 bytes/);
  });
});

describe('PIN/UV auth protocol 1', () => {
  it('uses SHA-256(Z), a zero IV and a 16-byte HMAC', () => {
    const p1 = protocolOne();
    const secret = p1.kdf(Z);
    expect(secret.equals(createHash('sha256').update(Z).digest())).toBe(true);
    const plain = randomBytes(32);
    const ct = p1.encrypt(secret, plain);
    expect(ct.length).toBe(32);
    expect(ct.subarray(0, 16).equals(aesBlock(secret, plain.subarray(0, 16)))).toBe(true);
    expect(p1.decrypt(secret, ct).equals(plain)).toBe(true);
    const mac = p1.authenticate(secret, ct);
    expect(mac.equals(createHmac('sha256', secret).update(ct).digest().subarray(0, 16))).toBe(true);
    expect(verifyMac(p1, secret, ct, mac)).toBe(true);
  });
});

describe('key agreement', () => {
  it('gives both sides the same secret from COSE keys (kty 2, alg -25, crv 1), for both protocols', () => {
    const authenticator = newKeyAgreementKey();
    expect([...authenticator.cose.keys()]).toEqual([1, 3, -1, -2, -3]);
    expect(authenticator.cose.get(3)).toBe(-25);
    for (const p of [protocolOne(), protocolTwo()]) {
      const { platformKey, sharedSecret: platform } = encapsulate(p, authenticator.cose);
      expect(sharedSecret(p, authenticator.ecdh, platformKey).equals(platform)).toBe(true);
    }
  });

  it('computes Z as the ECDH x-coordinate, as a second ECDH object sees it', () => {
    const a = newKeyAgreementKey();
    const b = createECDH('prime256v1');
    b.generateKeys();
    const z = b.computeSecret(ecdhPointFromCose(a.cose));
    expect(sharedSecret(protocolOne(), a.ecdh, ecdhCoseKey(b.getPublicKey())).equals(createHash('sha256').update(z).digest())).toBe(true);
  });

  it('rejects keys on another curve, of the wrong shape, or off the curve', () => {
    const good = newKeyAgreementKey().cose;
    expect(() => ecdhPointFromCose(new Map([...good, [-1, 2]]))).toThrow(/ECDH P-256/);
    expect(() => ecdhPointFromCose(new Map([...good, [-2, new Uint8Array(31)]]))).toThrow(/32 bytes/);
    expect(() => ecdhPointFromCose('not a map')).toThrow(/COSE map/);
    const offCurve = new Map([...good, [-3, Buffer.alloc(32, 1)]]);
    expect(() => encapsulate(protocolTwo(), offCurve)).toThrow();
  });
});

describe('PIN token and hmac-secret helpers', () => {
  it('encrypts LEFT(SHA-256(PIN), 16) and decrypts tokens of the allowed sizes', () => {
    for (const p of [protocolOne(), protocolTwo()]) {
      const secret = p.kdf(Z);
      const expected = createHash('sha256').update('1234').digest().subarray(0, 16);
      expect(p.decrypt(secret, pinHashEnc(p, secret, '1234')).equals(expected)).toBe(true);
      const token = randomBytes(32);
      expect(decryptPinToken(p, secret, p.encrypt(secret, token)).equals(token)).toBe(true);
    }
    const p2 = protocolTwo();
    expect(() => decryptPinToken(p2, p2.kdf(Z), p2.encrypt(p2.kdf(Z), randomBytes(16)))).toThrow(/16 bytes/);
  });

  it('builds the getAssertion input (key 4 only for protocol 2) and checks the output length', () => {
    const salt = randomBytes(32);
    const platformKey = newKeyAgreementKey().cose;
    for (const p of [protocolOne(), protocolTwo()]) {
      const secret = p.kdf(Z);
      const input = hmacSecretInput(p, platformKey, secret, [salt]);
      expect([...input.keys()]).toEqual(p.version === 2 ? [1, 2, 3, 4] : [1, 2, 3]);
      const saltEnc = input.get(2) as Buffer;
      expect(p.decrypt(secret, saltEnc).equals(salt)).toBe(true);
      expect(verifyMac(p, secret, saltEnc, input.get(3) as Buffer)).toBe(true);
      const output = randomBytes(32);
      expect(hmacSecretOutputs(p, secret, p.encrypt(secret, output), 1)[0]!.equals(output)).toBe(true);
      expect(() => hmacSecretOutputs(p, secret, p.encrypt(secret, randomBytes(64)), 1)).toThrow(/expected/);
    }
    expect(() => hmacSecretInput(protocolTwo(), platformKey, protocolTwo().kdf(Z), [randomBytes(16)])).toThrow(/32-byte/);
  });
});
