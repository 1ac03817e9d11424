import { createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { associatedData, Opener, seal, Sealer, SEALED_BOX_VERSION, sealedKeyId, vaultKeyId } from '../../src/vault/sealed-box.js';
import { expectCode } from '../helpers/errors.js';
import { generateX25519, publicFromPrivate } from '../../src/vault/x25519.js';

const HEADER = 1 + 8 + 32 + 12;
const HEADER_V1 = 1 + 32 + 12;
const TAG = 16;

function expectTampered(fn: () => unknown): void {
  expectCode(fn, 'tampered');
}

const vault = generateX25519();
const text = (s: string) => Buffer.from(s, 'utf8');

describe('sealed box round trip', () => {
  it('opens what seal() sealed, with the same record id and field', () => {
    const box = seal(vault.publicKey, text('123456789018'), 'person/1', 'my_number');
    const opener = new Opener(vault.privateKey, vault.publicKey);
    expect(opener.open(box, 'person/1', 'my_number').toString('utf8')).toBe('123456789018');
  });

  it('opens a batch of 100 records sealed by one Sealer with one Opener', () => {
    const sealer = new Sealer(vault.publicKey);
    const numbers = Array.from({ length: 100 }, (_, i) => String(100_000_000_000 + i * 7919));
    const boxes = numbers.map((n, i) => sealer.seal(text(n), `person/${i}`, 'my_number'));
    sealer.wipe();
    // One ephemeral key for the batch, a fresh nonce for every record.
    const ephs = new Set(boxes.map((b) => b.subarray(9, 41).toString('hex')));
    const nonces = new Set(boxes.map((b) => b.subarray(41, HEADER).toString('hex')));
    expect(ephs.size).toBe(1);
    expect(nonces.size).toBe(100);
    const opener = new Opener(vault.privateKey, vault.publicKey);
    boxes.forEach((b, i) => expect(opener.open(b, `person/${i}`, 'my_number').toString('utf8')).toBe(numbers[i]));
    opener.wipe();
  });

  it('uses a fresh ephemeral key for every single seal()', () => {
    const a = seal(vault.publicKey, text('x'), 'r', 'f');
    const b = seal(vault.publicKey, text('x'), 'r', 'f');
    expect(a.subarray(9, 41).equals(b.subarray(9, 41))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('still opens after wipe(), deriving the key again', () => {
    const box = seal(vault.publicKey, text('987654321093'), 'person/9', 'my_number');
    const opener = new Opener(vault.privateKey, vault.publicKey);
    expect(opener.open(box, 'person/9', 'my_number').toString()).toBe('987654321093');
    opener.wipe();
    expect(opener.open(box, 'person/9', 'my_number').toString()).toBe('987654321093');
  });
});

describe('sealed box integrity', () => {
  const box = seal(vault.publicKey, text('123456789018'), 'person/1', 'my_number');
  const opener = new Opener(vault.privateKey, vault.publicKey);

  it('does not open under another record id or another field', () => {
    expectTampered(() => opener.open(box, 'person/2', 'my_number'));
    expectTampered(() => opener.open(box, 'person/1', 'other'));
    expectTampered(() => opener.open(box, 'person/10', 'my_number'));
    // length prefixes keep "person/1" + "my_number" distinct from "person/1m" + "y_number"
    expectTampered(() => opener.open(box, 'person/1m', 'y_number'));
    expect(opener.open(box, 'person/1', 'my_number').toString()).toBe('123456789018');
  });

  it('length-prefixes record id and field in the associated data', () => {
    expect(associatedData('ab', 'c').equals(associatedData('a', 'bc'))).toBe(false);
    expect(associatedData('person/1', 'my_number').toString('hex')).toBe(
      Buffer.concat([text('mnvault/v1'), Buffer.from([0, 8]), text('person/1'), Buffer.from([0, 9]), text('my_number')]).toString('hex'),
    );
    expect(() => associatedData('', 'f')).toThrow();
    expect(() => associatedData('r', '')).toThrow();
  });

  it('does not open with a different vault private key', () => {
    const other = generateX25519();
    expectTampered(() => new Opener(other.privateKey, other.publicKey).open(box, 'person/1', 'my_number'));
    expectTampered(() => new Opener(other.privateKey, vault.publicKey).open(box, 'person/1', 'my_number'));
    // right private key but the wrong public key in the HKDF salt
    expectTampered(() => new Opener(vault.privateKey, other.publicKey).open(box, 'person/1', 'my_number'));
  });

  it.each([
    ['version byte', 0, 0x01],
    ['first key id byte', 1, 0x01],
    ['last key id byte', 8, 0x80],
    ['first ephemeral key byte', 9, 0x01],
    ['middle ephemeral key byte', 24, 0x40],
    ['last ephemeral key byte', 40, 0x01],
    // X25519 ignores the top bit of the u-coordinate; the salt must still catch the change
    ['top bit of the ephemeral key', 40, 0x80],
    ['first nonce byte', 41, 0x01],
    ['last nonce byte', 52, 0x80],
    ['first ciphertext byte', HEADER, 0x01],
    ['last ciphertext byte', HEADER + 11, 0x01],
    ['first tag byte', HEADER + 12, 0x01],
    ['last tag byte', HEADER + 12 + TAG - 1, 0x80],
  ])('fails when the %s is flipped', (_what, pos, bit) => {
    expect(box.length).toBe(HEADER + 12 + TAG);
    const bad = Buffer.from(box);
    bad[pos]! ^= bit;
    expectTampered(() => new Opener(vault.privateKey, vault.publicKey).open(bad, 'person/1', 'my_number'));
  });

  it('fails on every single-bit flip of a short box', () => {
    const small = seal(vault.publicKey, text('42'), 'r', 'f');
    const o = new Opener(vault.privateKey, vault.publicKey);
    for (let pos = 0; pos < small.length; pos++) {
      const bad = Buffer.from(small);
      bad[pos]! ^= 1 << pos % 8;
      expectTampered(() => o.open(bad, 'r', 'f'));
    }
  });

  it('fails on a truncated or extended box', () => {
    expectTampered(() => opener.open(box.subarray(0, HEADER + TAG - 1), 'person/1', 'my_number'));
    expectTampered(() => opener.open(box.subarray(0, box.length - 1), 'person/1', 'my_number'));
    expectTampered(() => opener.open(Buffer.concat([box, Buffer.from([0])]), 'person/1', 'my_number'));
    expectTampered(() => opener.open(Buffer.alloc(0), 'person/1', 'my_number'));
  });

  it('reports a box whose ephemeral key is a low-order point (all zeros) as tampered', () => {
    const bad = Buffer.from(box);
    bad.fill(0, 9, 41);
    expectTampered(() => new Opener(vault.privateKey, vault.publicKey).open(bad, 'person/1', 'my_number'));
  });
});

describe('sealed box format', () => {
  it('is 1 + 8 + 32 + 12 + len + 16 bytes, starts with version 2 and names the vault key pair', () => {
    for (const len of [0, 1, 12, 100, 1000]) {
      const box = seal(vault.publicKey, randomBytes(len), 'r', 'f');
      expect(box.length).toBe(1 + 8 + 32 + 12 + len + 16);
      expect(box[0]).toBe(2);
      expect(sealedKeyId(box)!.equals(vaultKeyId(vault.publicKey))).toBe(true);
    }
    expect(SEALED_BOX_VERSION).toBe(2);
  });

  it('refuses a version 2 box sealed to another key pair, and one whose key id was changed', () => {
    const other = generateX25519();
    const box = seal(other.publicKey, text('123456789018'), 'person/1', 'my_number');
    expectTampered(() => new Opener(vault.privateKey, vault.publicKey).open(box, 'person/1', 'my_number'));
    const mine = seal(vault.publicKey, text('123456789018'), 'person/1', 'my_number');
    const renamed = Buffer.from(mine);
    renamed[1]! ^= 1;
    expectTampered(() => new Opener(vault.privateKey, vault.publicKey).open(renamed, 'person/1', 'my_number'));
    expect(new Opener(vault.privateKey, vault.publicKey).open(mine, 'person/1', 'my_number').toString()).toBe('123456789018');
  });

  it('does not carry the plaintext in the clear', () => {
    const box = seal(vault.publicKey, text('123456789018'), 'person/1', 'my_number');
    expect(box.includes(text('123456789018'))).toBe(false);
    expect(box.toString('latin1')).not.toContain('9018');
  });

  it('embeds an ephemeral public key that is not the vault key', () => {
    const box = seal(vault.publicKey, text('x'), 'r', 'f');
    expect(box.subarray(9, 41).equals(vault.publicKey)).toBe(false);
  });
});

interface Vector {
  name: string;
  recordId: string;
  field: string;
  plaintext: string;
  sealed: string;
}
interface VectorFile {
  vaultPrivateKey: string;
  vaultPublicKey: string;
  vectors: Vector[];
  negative: (Omit<Vector, 'plaintext'> & { error: string })[];
}

const file = JSON.parse(readFileSync(new URL('../vectors/sealed-box-v1.json', import.meta.url), 'utf8')) as VectorFile;
const priv = Buffer.from(file.vaultPrivateKey, 'base64');
const pub = Buffer.from(file.vaultPublicKey, 'base64');

/** A decoder for the documented v1 and v2 formats that shares no code with src/vault. */
function independentOpen(sealed: Buffer, recordId: string, field: string, keys: { priv: Buffer; pub: Buffer } = { priv, pub }): Buffer {
  const { priv: vaultPrivate, pub: vaultPublic } = keys;
  const b64u = (b: Buffer) => b.toString('base64url');
  const v2 = sealed[0] === 2;
  const keyId = createHash('sha256').update('mnvault key-id v1').update(vaultPublic).digest().subarray(0, 8);
  if (v2 && !sealed.subarray(1, 9).equals(keyId)) throw new Error('another key pair');
  const at = v2 ? 9 : 1;
  const eph = sealed.subarray(at, at + 32);
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64u(vaultPrivate), x: b64u(vaultPublic) }, format: 'jwk' });
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(Buffer.from(eph)) }, format: 'jwk' });
  const shared = diffieHellman({ privateKey, publicKey });
  const info = v2 ? Buffer.concat([text('mnvault sealed-box v2'), keyId]) : text('mnvault sealed-box v1');
  const key = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([eph, vaultPublic]), info, 32));
  const id = text(recordId);
  const f = text(field);
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const aad = Buffer.concat([text(v2 ? 'mnvault/v2' : 'mnvault/v1'), u16(id.length), id, u16(f.length), f]);
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(at + 32, at + 44));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(at + 44, sealed.length - 16)), d.final()]);
}

describe('sealed box v1 test vectors (test/vectors/sealed-box-v1.json)', () => {
  it('holds a 32-byte key pair whose public half derives from the private half', () => {
    expect(priv.length).toBe(32);
    expect(publicFromPrivate(priv).equals(pub)).toBe(true);
    expect(file.vectors.length).toBeGreaterThanOrEqual(3);
    expect(file.negative.length).toBeGreaterThanOrEqual(1);
  });

  it('opens every stored vector with the stored private key', () => {
    const opener = new Opener(priv, pub);
    for (const v of file.vectors) {
      const sealed = Buffer.from(v.sealed, 'base64');
      expect(sealed[0], v.name).toBe(1);
      expect(sealed.length, v.name).toBe(HEADER_V1 + text(v.plaintext).length + TAG);
      expect(opener.open(sealed, v.recordId, v.field).toString('utf8'), v.name).toBe(v.plaintext);
    }
  });

  it('opens every stored vector with an independent implementation of the documented format', () => {
    for (const v of file.vectors) {
      expect(independentOpen(Buffer.from(v.sealed, 'base64'), v.recordId, v.field).toString('utf8'), v.name).toBe(v.plaintext);
    }
  });

  it('refuses every negative vector as tampered', () => {
    const opener = new Opener(priv, pub);
    for (const v of file.negative) {
      expect(v.error).toBe('tampered');
      expectTampered(() => opener.open(Buffer.from(v.sealed, 'base64'), v.recordId, v.field));
    }
  });

  it('opens today\u2019s seal() output with the independent decoder too', () => {
    const box = seal(pub, text('202020202027'), 'person/5', 'my_number');
    expect(independentOpen(box, 'person/5', 'my_number').toString()).toBe('202020202027');
  });
});

describe('sealed box v2 test vectors (test/vectors/sealed-box-v2.json)', () => {
  const v2 = JSON.parse(readFileSync(new URL('../vectors/sealed-box-v2.json', import.meta.url), 'utf8')) as VectorFile;
  const keys = { priv: Buffer.from(v2.vaultPrivateKey, 'base64'), pub: Buffer.from(v2.vaultPublicKey, 'base64') };

  it('opens every stored vector with the stored key, and with the independent decoder', () => {
    const opener = new Opener(keys.priv, keys.pub);
    for (const v of v2.vectors) {
      const sealed = Buffer.from(v.sealed, 'base64');
      expect(sealed[0], v.name).toBe(2);
      expect(sealedKeyId(sealed)!.equals(vaultKeyId(keys.pub)), v.name).toBe(true);
      expect(opener.open(sealed, v.recordId, v.field).toString('utf8'), v.name).toBe(v.plaintext);
      expect(independentOpen(sealed, v.recordId, v.field, keys).toString('utf8'), v.name).toBe(v.plaintext);
    }
  });

  it('refuses every negative vector as tampered, and the v1 key cannot open a v2 box', () => {
    const opener = new Opener(keys.priv, keys.pub);
    for (const v of v2.negative) expectTampered(() => opener.open(Buffer.from(v.sealed, 'base64'), v.recordId, v.field));
    const first = v2.vectors[0]!;
    expectTampered(() => new Opener(priv, pub).open(Buffer.from(first.sealed, 'base64'), first.recordId, first.field));
  });
});
