import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concat, encodeBasicFourEf, encodeMyNumberEf, TAG } from '../../src/devices/mynumber-card-data.js';
import { checkCardSignature } from '../../src/devices/mynumber-card-signature.js';
import { encodeTlv } from '../../src/devices/tlv.js';

// The layout of EF 0003/0004 is taken from public descriptions and not yet confirmed on a real
// card (device/card-readers.md): a card whose files are there but read otherwise must fail closed.
const numberEf = encodeMyNumberEf('123456789018');
const basicFourEf = encodeBasicFourEf({ name: '山田 太郎', address: '東京都千代田区', birthDate: '1990-01-02', sex: '1' });
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = publicKey.export({ format: 'jwk' });
const h1 = encodeTlv(TAG.myNumberHash, createHash('sha256').update(numberEf).digest());
const h2 = encodeTlv(TAG.basicFourHash, createHash('sha256').update(basicFourEf).digest());
const signatureEf = encodeTlv(TAG.signature, concat([h1, h2, encodeTlv(TAG.signatureValue, sign('sha256', concat([h1, h2]), privateKey))]));
const certBody = concat([new Uint8Array(16), new Uint8Array(16), encodeTlv(0x81, Buffer.from(jwk.n!, 'base64url')), encodeTlv(0x82, Buffer.from(jwk.e!, 'base64url'))]);
const certificateEf = encodeTlv(TAG.certificate, concat([encodeTlv(TAG.certificateBody, certBody), encodeTlv(TAG.certificateSignature, new Uint8Array(256))]));
const check = (over: { signatureEf?: Uint8Array | undefined; certificateEf?: Uint8Array | undefined }) =>
  checkCardSignature({ myNumberEf: numberEf, basicFourEf, signatureEf, certificateEf, ...over });

describe('the card signature check fails closed on a layout it does not know', () => {
  it('is valid for the layout described, and unavailable only when the card has neither file', () => {
    expect(check({}).result).toBe('valid');
    expect(check({ signatureEf: undefined, certificateEf: undefined }).result).toBe('unavailable');
  });

  it('is invalid, never unavailable, when a signature file or certificate is there but reads otherwise', () => {
    // Another outer tag, a missing hash element, a certificate without its key: the layout differs.
    const otherTag = encodeTlv(0xff31, concat([h1, h2]));
    const noHash = encodeTlv(TAG.signature, concat([h1, encodeTlv(TAG.signatureValue, new Uint8Array(256))]));
    const noKey = encodeTlv(TAG.certificate, encodeTlv(TAG.certificateBody, new Uint8Array(40)));
    for (const over of [{ signatureEf: otherTag }, { signatureEf: noHash }, { certificateEf: noKey }, { signatureEf: Uint8Array.from([0xff, 0x30, 0x82]) }]) {
      expect(check(over)).toMatchObject({ result: 'invalid', reason: 'signature file or certificate not decodable' });
    }
  });

  it('is invalid when only one of the two files is on the card', () => {
    expect(check({ certificateEf: undefined })).toMatchObject({ result: 'invalid', reason: 'signature file without certificate, or certificate without signature file' });
    expect(check({ signatureEf: undefined }).result).toBe('invalid');
  });
});
