import { createHash } from 'node:crypto';
import { cbc } from '@noble/ciphers/aes.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  ecdhCoseKey,
  encapsulate,
  hmacSecretInput,
  hmacSecretOutputs,
  newKeyAgreementKey,
  pinHashEnc,
  protocolOne,
  protocolTwo,
  sharedSecret,
  type CoseKey,
} from '../../src/devices/pin-uv-auth.js';

/**
 * PIN/UV auth protocols 1 and 2 and hmac-secret's salt encryption checked
 * against a second implementation: the audited noble libraries (P-256 ECDH,
 * SHA-256, HMAC, HKDF, AES-CBC written in JavaScript, sharing no code with
 * node:crypto's OpenSSL), driven by the formulas of CTAP 2.1 §6.5.6–6.5.7
 * and §12.5. Here noble plays the authenticator; the code under test is the
 * platform side the appliance uses with real keys.
 */

const bytes = (label: string, size = 32) => Uint8Array.from(createHash('shake256', { outputLength: size }).update(label).digest());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

const AUTHENTICATOR_SECRET = bytes('independent vectors: authenticator key agreement');
const PLATFORM_SECRET = bytes('independent vectors: platform key agreement');
const SALT = bytes('independent vectors: slot salt');
const SALT_2 = bytes('independent vectors: second salt');
const CRED_RANDOM = bytes('independent vectors: CredRandom');
const IV = bytes('independent vectors: platform IV', 16);
const IV_AUTHENTICATOR = bytes('independent vectors: authenticator IV', 16);
const ZERO_IV = new Uint8Array(16);

/** The authenticator's side, all in noble. */
const noble = {
  publicKey: (secret: Uint8Array) => p256.getPublicKey(secret, false),
  /** Z: the x-coordinate of the ECDH point. */
  z: (secret: Uint8Array, peer: Uint8Array) => p256.getSharedSecret(secret, peer, true).subarray(1),
  kdf1: (z: Uint8Array) => sha256(z),
  kdf2: (z: Uint8Array) => concat(hkdf(sha256, z, new Uint8Array(32), new TextEncoder().encode('CTAP2 HMAC key'), 32), hkdf(sha256, z, new Uint8Array(32), new TextEncoder().encode('CTAP2 AES key'), 32)),
  encrypt1: (key: Uint8Array, plain: Uint8Array) => cbc(key, ZERO_IV, { disablePadding: true }).encrypt(plain),
  decrypt1: (key: Uint8Array, ct: Uint8Array) => cbc(key, ZERO_IV, { disablePadding: true }).decrypt(ct),
  encrypt2: (key: Uint8Array, iv: Uint8Array, plain: Uint8Array) => concat(iv, cbc(key.subarray(32), iv, { disablePadding: true }).encrypt(plain)),
  decrypt2: (key: Uint8Array, ct: Uint8Array) => cbc(key.subarray(32), ct.subarray(0, 16), { disablePadding: true }).decrypt(ct.subarray(16)),
  mac1: (key: Uint8Array, m: Uint8Array) => hmac(sha256, key, m).subarray(0, 16),
  mac2: (key: Uint8Array, m: Uint8Array) => hmac(sha256, key.subarray(0, 32), m),
};

/** The platform key as the code under test builds it, from the fixed scalar. */
function platform(): { ecdh: ReturnType<typeof newKeyAgreementKey>['ecdh']; cose: CoseKey } {
  return newKeyAgreementKey(PLATFORM_SECRET);
}
const authenticatorCose = () => ecdhCoseKey(noble.publicKey(AUTHENTICATOR_SECRET));
const coseToPoint = (cose: CoseKey) => concat(Uint8Array.of(4), cose.get(-2) as Uint8Array, cose.get(-3) as Uint8Array);

describe('PIN/UV auth protocol 2 against an independent implementation (noble)', () => {
  it('derives the same 64-byte shared secret: ECDH x-coordinate, then HKDF-SHA-256 with 32 zero bytes of salt and the two CTAP2 labels', () => {
    const own = platform();
    expect(hex(coseToPoint(own.cose))).toBe(hex(noble.publicKey(PLATFORM_SECRET)));
    const ours = sharedSecret(protocolTwo(), own.ecdh, authenticatorCose());
    const theirs = noble.kdf2(noble.z(AUTHENTICATOR_SECRET, coseToPoint(own.cose)));
    expect(ours.length).toBe(64);
    expect(hex(ours)).toBe(hex(theirs));
  });

  it('encrypts the hmac-secret salt as IV ‖ AES-256-CBC and authenticates it with the whole HMAC-SHA-256, as the authenticator checks it', () => {
    const p2 = protocolTwo(() => IV);
    const { platformKey, sharedSecret: shared } = encapsulate(p2, authenticatorCose(), platform());
    const input = hmacSecretInput(p2, platformKey, shared, [SALT]);
    // What the authenticator computes on its side, from the platform key in the request.
    const k = noble.kdf2(noble.z(AUTHENTICATOR_SECRET, coseToPoint(input.get(1) as CoseKey)));
    const saltEnc = input.get(2) as Uint8Array;
    expect(hex(saltEnc)).toBe(hex(noble.encrypt2(k, IV, SALT)));
    expect(saltEnc.length).toBe(48);
    expect(hex(input.get(3) as Uint8Array)).toBe(hex(noble.mac2(k, saltEnc)));
    expect((input.get(3) as Uint8Array).length).toBe(32);
    expect(input.get(4)).toBe(2);
    expect(hex(noble.decrypt2(k, saltEnc))).toBe(hex(SALT));
  });

  it('decrypts the outputs the authenticator encrypts, HMAC-SHA-256(CredRandom, salt) for one and for two salts', () => {
    const p2 = protocolTwo(() => IV);
    const { platformKey, sharedSecret: shared } = encapsulate(p2, authenticatorCose(), platform());
    const k = noble.kdf2(noble.z(AUTHENTICATOR_SECRET, coseToPoint(platformKey)));
    for (const salts of [[SALT], [SALT, SALT_2]]) {
      const saltEnc = hmacSecretInput(p2, platformKey, shared, salts).get(2) as Uint8Array;
      const received = noble.decrypt2(k, saltEnc);
      const outputs = salts.map((_, i) => hmac(sha256, CRED_RANDOM, received.subarray(32 * i, 32 * (i + 1))));
      const encrypted = noble.encrypt2(k, IV_AUTHENTICATOR, concat(...outputs));
      const ours = hmacSecretOutputs(p2, shared, encrypted, salts.length);
      expect(ours.map(hex)).toEqual(salts.map((s) => hex(hmac(sha256, CRED_RANDOM, s))));
    }
  });

  it('encrypts LEFT(SHA-256(PIN), 16) as the authenticator decrypts it', () => {
    const p2 = protocolTwo(() => IV);
    const { platformKey, sharedSecret: shared } = encapsulate(p2, authenticatorCose(), platform());
    const k = noble.kdf2(noble.z(AUTHENTICATOR_SECRET, coseToPoint(platformKey)));
    const enc = pinHashEnc(p2, shared, '246810');
    expect(hex(enc)).toBe(hex(noble.encrypt2(k, IV, sha256(new TextEncoder().encode('246810')).subarray(0, 16))));
  });
});

describe('PIN/UV auth protocol 1 against an independent implementation (noble)', () => {
  it('derives SHA-256(Z), encrypts the salt with AES-256-CBC under a zero IV and authenticates it with HMAC-SHA-256 cut to 16 bytes', () => {
    const p1 = protocolOne();
    const { platformKey, sharedSecret: shared } = encapsulate(p1, authenticatorCose(), platform());
    const k = noble.kdf1(noble.z(AUTHENTICATOR_SECRET, coseToPoint(platformKey)));
    expect(hex(shared)).toBe(hex(k));
    const input = hmacSecretInput(p1, platformKey, shared, [SALT]);
    expect(hex(input.get(2) as Uint8Array)).toBe(hex(noble.encrypt1(k, SALT)));
    expect(hex(input.get(3) as Uint8Array)).toBe(hex(noble.mac1(k, input.get(2) as Uint8Array)));
    expect(input.has(4)).toBe(false);
    const output = hmac(sha256, CRED_RANDOM, noble.decrypt1(k, input.get(2) as Uint8Array));
    expect(hex(hmacSecretOutputs(p1, shared, noble.encrypt1(k, output), 1)[0]!)).toBe(hex(hmac(sha256, CRED_RANDOM, SALT)));
  });
});
