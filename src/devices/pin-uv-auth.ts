import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual, type ECDH } from 'node:crypto';

/**
 * PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7) and the
 * hmac-secret extension's salt and output handling, as pure code over
 * node:crypto. Both sides use these: the platform (SecurityKey) and the
 * software authenticator, so one implementation is checked against itself
 * and, in the tests, against independently computed values.
 */

export type PinUvAuthProtocolVersion = 1 | 2;

/** A COSE key as decoded by cborg with useMaps: integer labels to values. */
export type CoseKey = Map<number, unknown>;

export interface PinUvAuthProtocol {
  readonly version: PinUvAuthProtocolVersion;
  /** The shared secret from the ECDH x-coordinate Z: 32 bytes (v1) or HMAC key ‖ AES key, 64 bytes (v2). */
  kdf(z: Uint8Array): Buffer;
  encrypt(key: Uint8Array, plaintext: Uint8Array): Buffer;
  /** Throws on a ciphertext of the wrong shape rather than returning garbage. */
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Buffer;
  /** The MAC a pinUvAuthParam or saltAuth carries: 16 bytes (v1) or 32 bytes (v2). */
  authenticate(key: Uint8Array, message: Uint8Array): Buffer;
}

const BLOCK = 16;
const ZERO_IV = Buffer.alloc(BLOCK);
const HKDF_SALT = Buffer.alloc(32);

function cbc(mode: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  if (data.length % BLOCK !== 0) throw new Error(`PIN/UV protocol: ${data.length} bytes is not a whole number of AES blocks`);
  const cipher = mode === 'encrypt' ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function hmac(key: Uint8Array, message: Uint8Array): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

/** Protocol 1: SHA-256(Z), AES-256-CBC with a zero IV, HMAC truncated to 16 bytes. */
export function protocolOne(): PinUvAuthProtocol {
  return {
    version: 1,
    kdf: (z) => createHash('sha256').update(z).digest(),
    encrypt: (key, plaintext) => cbc('encrypt', key, ZERO_IV, plaintext),
    decrypt: (key, ciphertext) => cbc('decrypt', key, ZERO_IV, ciphertext),
    authenticate: (key, message) => hmac(key, message).subarray(0, 16),
  };
}

/**
 * Protocol 2: HKDF-SHA-256 splits Z into an HMAC key and an AES key; each
 * ciphertext carries its random IV in front; the MAC is the full 32 bytes.
 * `random` is injectable so known-answer tests can fix the IV.
 */
export function protocolTwo(random: (size: number) => Uint8Array = randomBytes): PinUvAuthProtocol {
  const aesKey = (key: Uint8Array) => {
    if (key.length !== 64) throw new Error('PIN/UV protocol 2: the shared secret is 64 bytes');
    return key.subarray(32);
  };
  return {
    version: 2,
    kdf: (z) =>
      Buffer.concat([
        Buffer.from(hkdfSync('sha256', z, HKDF_SALT, 'CTAP2 HMAC key', 32)),
        Buffer.from(hkdfSync('sha256', z, HKDF_SALT, 'CTAP2 AES key', 32)),
      ]),
    encrypt: (key, plaintext) => {
      const iv = random(BLOCK);
      return Buffer.concat([iv, cbc('encrypt', aesKey(key), iv, plaintext)]);
    },
    decrypt: (key, ciphertext) => {
      if (ciphertext.length < BLOCK) throw new Error('PIN/UV protocol 2: ciphertext shorter than its IV');
      return cbc('decrypt', aesKey(key), ciphertext.subarray(0, BLOCK), ciphertext.subarray(BLOCK));
    },
    // The first 32 bytes: the HMAC half of a shared secret, or a whole pinUvAuthToken.
    authenticate: (key, message) => hmac(key.subarray(0, 32), message),
  };
}

/** `random` (protocol 2's IVs) is injectable for known-answer tests and transcript replays. */
export function pinUvAuthProtocol(version: number, random?: (size: number) => Uint8Array): PinUvAuthProtocol {
  if (version === 1) return protocolOne();
  if (version === 2) return protocolTwo(random);
  throw new Error(`unknown PIN/UV auth protocol ${version}`);
}

/** Constant-time check of a MAC made by `authenticate`. */
export function verifyMac(protocol: PinUvAuthProtocol, key: Uint8Array, message: Uint8Array, mac: Uint8Array): boolean {
  const expected = protocol.authenticate(key, message);
  return mac.length === expected.length && timingSafeEqual(expected, mac);
}

/**
 * A key-agreement public key as COSE: kty EC2, alg -25 (ECDH-ES+HKDF-256, a
 * fixed label: the protocols, not HKDF-256, define the derivation), crv P-256.
 */
export function ecdhCoseKey(uncompressedPoint: Uint8Array): CoseKey {
  if (uncompressedPoint.length !== 65 || uncompressedPoint[0] !== 0x04) throw new Error('not an uncompressed P-256 point');
  return new Map<number, unknown>([
    [1, 2],
    [3, -25],
    [-1, 1],
    [-2, uncompressedPoint.slice(1, 33)],
    [-3, uncompressedPoint.slice(33, 65)],
  ]);
}

/** The uncompressed point of a peer's COSE key-agreement key; the curve check happens in ECDH. */
export function ecdhPointFromCose(key: unknown): Buffer {
  if (!(key instanceof Map)) throw new Error('key agreement key is not a COSE map');
  const x: unknown = key.get(-2);
  const y: unknown = key.get(-3);
  const alg: unknown = key.get(3);
  if (key.get(1) !== 2 || key.get(-1) !== 1 || (alg !== undefined && alg !== -25)) throw new Error('key agreement key is not an ECDH P-256 COSE key');
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) throw new Error('key agreement coordinates are not 32 bytes');
  return Buffer.concat([Uint8Array.of(0x04), x, y]);
}

/**
 * A fresh P-256 key-agreement key pair (one per session on the platform, per
 * power-up on an authenticator); from a given private scalar only where a
 * test fixes the randomness.
 */
export function newKeyAgreementKey(privateKey?: Uint8Array): { ecdh: ECDH; cose: CoseKey } {
  const ecdh = createECDH('prime256v1');
  if (privateKey) ecdh.setPrivateKey(privateKey);
  else ecdh.generateKeys();
  return { ecdh, cose: ecdhCoseKey(ecdh.getPublicKey()) };
}

/** Shared secret from our key and the peer's COSE key; throws if the point is not on the curve. */
export function sharedSecret(protocol: PinUvAuthProtocol, own: ECDH, peer: unknown): Buffer {
  return protocol.kdf(own.computeSecret(ecdhPointFromCose(peer)));
}

/** Platform side: a fresh key agreement with the authenticator's key; the COSE key goes into the request. */
export function encapsulate(protocol: PinUvAuthProtocol, authenticatorKey: unknown, own = newKeyAgreementKey()): { platformKey: CoseKey; sharedSecret: Buffer } {
  return { platformKey: own.cose, sharedSecret: sharedSecret(protocol, own.ecdh, authenticatorKey) };
}

/** pinHashEnc for getPinToken / getPinUvAuthTokenUsingPinWithPermissions: LEFT(SHA-256(PIN), 16), encrypted. */
export function pinHashEnc(protocol: PinUvAuthProtocol, shared: Uint8Array, pin: string): Buffer {
  const hash = createHash('sha256').update(pin.normalize('NFC'), 'utf8').digest().subarray(0, 16);
  return protocol.encrypt(shared, hash);
}

/** The pinUvAuthToken from its encrypted form (16 or 32 bytes for v1, 32 for v2). */
export function decryptPinToken(protocol: PinUvAuthProtocol, shared: Uint8Array, encrypted: Uint8Array): Buffer {
  const token = protocol.decrypt(shared, encrypted);
  const ok = protocol.version === 1 ? token.length === 16 || token.length === 32 : token.length === 32;
  if (!ok) throw new Error(`pinUvAuthToken of ${token.length} bytes`);
  return token;
}

export const HMAC_SECRET = 'hmac-secret';
export const SALT_LENGTH = 32;

/**
 * The getAssertion input of hmac-secret: {1: platform key, 2: saltEnc,
 * 3: saltAuth, 4: protocol}. Key 4 is left out for protocol 1, as
 * CTAP 2.0 authenticators know no key 4 and libfido2 omits it.
 */
export function hmacSecretInput(protocol: PinUvAuthProtocol, platformKey: CoseKey, shared: Uint8Array, salts: readonly Uint8Array[]): Map<number, unknown> {
  if (salts.length < 1 || salts.length > 2 || salts.some((s) => s.length !== SALT_LENGTH)) throw new Error('hmac-secret takes one or two 32-byte salts');
  const saltEnc = protocol.encrypt(shared, Buffer.concat(salts));
  const input = new Map<number, unknown>([
    [1, platformKey],
    [2, saltEnc],
    [3, protocol.authenticate(shared, saltEnc)],
  ]);
  if (protocol.version === 2) input.set(4, 2);
  return input;
}

/** The decrypted hmac-secret outputs, one 32-byte value per salt; throws if the length is wrong. */
export function hmacSecretOutputs(protocol: PinUvAuthProtocol, shared: Uint8Array, encrypted: unknown, saltCount: number): Buffer[] {
  if (!(encrypted instanceof Uint8Array)) throw new Error('hmac-secret output is not a byte string');
  const expected = SALT_LENGTH * saltCount + (protocol.version === 2 ? BLOCK : 0);
  if (encrypted.length !== expected) throw new Error(`hmac-secret output of ${encrypted.length} bytes, expected ${expected}`);
  const plain = protocol.decrypt(shared, encrypted);
  return Array.from({ length: saltCount }, (_, i) => plain.subarray(i * SALT_LENGTH, (i + 1) * SALT_LENGTH));
}
