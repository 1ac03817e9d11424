import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import {
  checkAssertion,
  coseToPublicKey,
  CTAP2,
  Ctap2Error,
  decodeResponse,
  encodeRequest,
  FLAG,
  getAssertionRequest,
  makeCredentialRequest,
  parseAuthData,
  parseGetInfo,
  requestCommitment,
} from '../../src/devices/ctap2.js';

const AAGUID = Buffer.from('f8a011f38c0a4d15800617111f9edc7d', 'hex');
const text = (s: string) => Buffer.concat([Buffer.from([0x60 + s.length]), Buffer.from(s)]);
// getInfo as python-fido2's tests carry it: versions, extensions, aaguid, options, maxMsgSize 1200, pinUvAuthProtocols [1].
const GET_INFO = Buffer.concat([
  Buffer.from([0x00, 0xa6, 0x01, 0x82]), text('U2F_V2'), text('FIDO_2_0'),
  Buffer.from([0x02, 0x82]), text('uvm'), text('hmac-secret'),
  Buffer.from([0x03, 0x50]), AAGUID,
  Buffer.from([0x04, 0xa4]), text('rk'), Buffer.from([0xf5]), text('up'), Buffer.from([0xf5]), text('plat'), Buffer.from([0xf4]), text('clientPin'), Buffer.from([0xf4]),
  Buffer.from([0x05, 0x19, 0x04, 0xb0, 0x06, 0x81, 0x01]),
]);

describe('CTAP2 messages', () => {
  it('decodes the getInfo vector and re-encodes it byte for byte (canonical CBOR)', () => {
    const m = decodeResponse(GET_INFO);
    const info = parseGetInfo(m);
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0']);
    expect(info.extensions).toContain('hmac-secret');
    expect(Buffer.from(info.aaguid).equals(AAGUID)).toBe(true);
    expect(info.options).toEqual({ rk: true, up: true, plat: false, clientPin: false });
    expect(info.maxMsgSize).toBe(1200);
    expect(info.pinUvAuthProtocols).toEqual([1]);
    expect(Buffer.from(encode(m)).equals(GET_INFO.subarray(1))).toBe(true);
  });

  it('throws the status of a failed command', () => {
    expect(() => decodeResponse(Uint8Array.of(0x2e))).toThrow(Ctap2Error);
    expect(() => decodeResponse(Uint8Array.of(0x31))).toThrow(/PIN_INVALID/);
  });

  it('encodes requests with integer keys in order and leaves out absent parameters', () => {
    expect([...encodeRequest(CTAP2.GET_INFO)]).toEqual([0x04]);
    const cdh = new Uint8Array(32).fill(7);
    const mc = makeCredentialRequest({ clientDataHash: cdh, rpId: 'mnvault.local', rpName: 'マイナンバー金庫', userId: Uint8Array.of(1, 2), userName: 'tanto' });
    expect(mc[0]).toBe(CTAP2.MAKE_CREDENTIAL);
    const body = decodeResponse(Uint8Array.of(0, ...mc.subarray(1)));
    expect([...body.keys()]).toEqual([1, 2, 3, 4, 6]);
    expect((body.get(6) as Map<string, boolean>).get('hmac-secret')).toBe(true);
    const ga = getAssertionRequest({ rpId: 'mnvault.local', clientDataHash: cdh, credentialIds: [Uint8Array.of(9, 9)] });
    expect([...decodeResponse(Uint8Array.of(0, ...ga.subarray(1))).keys()]).toEqual([1, 2, 3, 5]);
  });
});

describe('assertions', () => {
  const rpId = 'mnvault.local';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]);

  function authData(counter: number, flags: number = FLAG.UP, id = rpId): Buffer {
    const b = Buffer.alloc(37);
    createHash('sha256').update(id).digest().copy(b);
    b[32] = flags;
    b.writeUInt32BE(counter, 33);
    return b;
  }

  const cdh = requestCommitment({ requestId: 7, createdAt: '2026-04-01T00:00:00.000Z', code: '123456', action: 'reveal', personIds: [3, 1], purpose: 'withholding_slip', operatorId: 'u-1' });
  const signed = (ad: Buffer) => sign('sha256', Buffer.concat([ad, cdh]), { key: privateKey, dsaEncoding: 'der' });

  it('accepts a fresh signed assertion for our rpId and reports the counter', () => {
    const ad = authData(5);
    expect(checkAssertion({ rpId, authData: ad, clientDataHash: cdh, signature: signed(ad), publicKey: coseToPublicKey(cose), storedCounter: 4 })).toEqual({ ok: true, signCount: 5 });
  });

  it('refuses another rpId, missing user presence, a counter that did not move, and a signature over other data', () => {
    const key = coseToPublicKey(cose);
    const other = authData(5, FLAG.UP, 'evil.example');
    expect(checkAssertion({ rpId, authData: other, clientDataHash: cdh, signature: signed(other), publicKey: key, storedCounter: 0 })).toEqual({ ok: false, problem: 'rp_id' });
    const noUp = authData(5, 0);
    expect(checkAssertion({ rpId, authData: noUp, clientDataHash: cdh, signature: signed(noUp), publicKey: key, storedCounter: 0 })).toEqual({ ok: false, problem: 'user_presence' });
    const replay = authData(5);
    expect(checkAssertion({ rpId, authData: replay, clientDataHash: cdh, signature: signed(replay), publicKey: key, storedCounter: 5 })).toEqual({ ok: false, problem: 'counter' });
    const ad = authData(6);
    const otherRequest = requestCommitment({ requestId: 7, createdAt: '2026-04-01T00:00:00.000Z', code: '123456', action: 'reveal', personIds: [1, 3], purpose: 'employment_insurance', operatorId: 'u-1' });
    expect(checkAssertion({ rpId, authData: ad, clientDataHash: otherRequest, signature: signed(ad), publicKey: key, storedCounter: 5 })).toEqual({ ok: false, problem: 'signature' });
  });

  it('commits the client-data hash to the request, whatever the order of persons', () => {
    expect(requestCommitment({ requestId: 7, createdAt: '2026-04-01T00:00:00.000Z', code: '1', action: 'reveal', personIds: [2, 1], purpose: 'p', operatorId: 'o' })).toEqual(requestCommitment({ requestId: 7, createdAt: '2026-04-01T00:00:00.000Z', code: '1', action: 'reveal', personIds: [1, 2], purpose: 'p', operatorId: 'o' }));
    expect(requestCommitment({ requestId: 7, createdAt: '2026-04-01T00:00:00.000Z', code: '1', action: 'export', personIds: [1], purpose: 'p', operatorId: 'o' })).not.toEqual(requestCommitment({ requestId: 7, createdAt: '2026-04-01T00:00:00.000Z', code: '1', action: 'reveal', personIds: [1], purpose: 'p', operatorId: 'o' }));
  });

  it('parses attested credential data and extensions from authenticatorData', () => {
    const credId = Buffer.from('abcdef', 'hex');
    const ext = Buffer.from(encode(new Map([['hmac-secret', true]])));
    const ad = Buffer.concat([authData(1, FLAG.UP | FLAG.AT | FLAG.ED), Buffer.alloc(16, 1), Buffer.from([0, credId.length]), credId, Buffer.from(encode(cose)), ext]);
    const d = parseAuthData(ad);
    expect(Buffer.from(d.credential!.id).equals(credId)).toBe(true);
    expect(d.credential!.publicKey.get(3)).toBe(-7);
    expect(d.extensions!.get('hmac-secret')).toBe(true);
    expect(() => parseAuthData(Buffer.concat([ad, Buffer.from([0])]))).toThrow(/trailing/);
  });
});
