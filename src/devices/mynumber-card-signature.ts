/**
 * Checks the 券面事項入力補助AP's own signature over the number and the 基本4情報:
 * the hashes in EF 0003 must be SHA-256 of EF 0001 and EF 0002 as read, and the
 * signature (RSA PKCS#1 v1.5, SHA-256) over the two hash elements must verify
 * with the public key of the certificate in EF 0004.
 *
 * What this does not do: check that certificate against the issuer (J-LIS),
 * whose key the appliance does not carry. The result says so ('chain' is
 * always 'not_checked'), and docs/mynumber-card.md explains the limit.
 */
import { createHash, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { decodeCertificateEf, decodeSignatureEf } from './mynumber-card-data.js';

export type CardSignatureResult =
  /** Hashes match and the signature verifies with the card's certificate. */
  | 'valid'
  /**
   * The data read does not match its hashes, the signature does not verify, or
   * the signature file or certificate is there but not in the layout known (or
   * only one of them is there).
   */
  | 'invalid'
  /** The card offers neither a signature file nor a certificate. */
  | 'unavailable';

export interface CardSignatureCheck {
  result: CardSignatureResult;
  /** Why, in English for the log and the audit detail; never card data. */
  reason: string;
  chain: 'not_checked';
}

export function checkCardSignature(input: {
  myNumberEf: Uint8Array;
  basicFourEf: Uint8Array;
  signatureEf: Uint8Array | undefined;
  certificateEf: Uint8Array | undefined;
}): CardSignatureCheck {
  const done = (result: CardSignatureResult, reason: string): CardSignatureCheck => ({ result, reason, chain: 'not_checked' });
  if (input.signatureEf === undefined && input.certificateEf === undefined) return done('unavailable', 'no signature file or certificate on the card');
  // Fail closed: the layout is from public descriptions, not yet confirmed on a real card
  // (device/card-readers.md). Files that are there but read otherwise are a mismatch, never "no signature".
  if (input.signatureEf === undefined || input.certificateEf === undefined) {
    return done('invalid', 'signature file without certificate, or certificate without signature file');
  }
  let sig, cert;
  try {
    sig = decodeSignatureEf(input.signatureEf);
    cert = decodeCertificateEf(input.certificateEf);
  } catch {
    return done('invalid', 'signature file or certificate not decodable');
  }
  if (!sameHash(sig.myNumberHash, input.myNumberEf)) return done('invalid', 'number file does not match its hash');
  if (!sameHash(sig.basicFourHash, input.basicFourEf)) return done('invalid', 'basic four file does not match its hash');
  let ok: boolean;
  try {
    const key = createPublicKey({
      key: { kty: 'RSA', n: Buffer.from(cert.modulus).toString('base64url'), e: Buffer.from(cert.exponent).toString('base64url') },
      format: 'jwk',
    });
    ok = verify('sha256', sig.signedData, key, sig.signature);
  } catch {
    return done('invalid', 'certificate key unusable');
  }
  return ok ? done('valid', 'hashes match and signature verifies') : done('invalid', 'signature does not verify');
}

function sameHash(expected: Uint8Array, data: Uint8Array): boolean {
  const got = createHash('sha256').update(data).digest();
  return expected.length === got.length && timingSafeEqual(expected, got);
}
