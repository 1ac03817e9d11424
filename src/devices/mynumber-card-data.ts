/**
 * The contents of the 券面事項入力補助AP's files, decoded. Pure code.
 *
 *   EF 0001 個人番号    FF10 0C <12 ASCII digits>
 *   EF 0002 基本4情報   FF20 L { DF21 header, DF22 氏名, DF23 住所, DF24 生年月日 YYYYMMDD, DF25 性別 1/2/9 }
 *   EF 0003 署名        FF30 L { DF31 SHA-256(EF 0001), DF32 SHA-256(EF 0002), DF33 署名 }
 *   EF 0004 証明書      7F21 L { 5F4E body (issuer 16, subject 16, public key TLVs), 5F37 signature }
 *
 * Texts are UTF-8. Sources: docs/mynumber-card.md.
 */
import { MyNumber } from '../domain/my-number.js';
import { CardProtocolError } from './mynumber-card-apdu.js';
import { decodeTlv, decodeTlvList, encodeTlv, TlvError, type Tlv } from './tlv.js';

export const TAG = {
  myNumber: 0xff10,
  basicFour: 0xff20,
  basicFourHeader: 0xdf21,
  name: 0xdf22,
  address: 0xdf23,
  birthDate: 0xdf24,
  sex: 0xdf25,
  signature: 0xff30,
  myNumberHash: 0xdf31,
  basicFourHash: 0xdf32,
  signatureValue: 0xdf33,
  certificate: 0x7f21,
  certificateBody: 0x5f4e,
  certificateSignature: 0x5f37,
} as const;

/** 基本4情報 as written on the chip. The sex code is as on the card: 1 男, 2 女, 9 適用不能. */
export interface BasicFour {
  name: string;
  address: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  sex: '1' | '2' | '9';
}

/** Decodes EF 0001 into a checked MyNumber. The message never holds a digit. */
export function decodeMyNumberEf(ef: Uint8Array): MyNumber {
  const t = outer(ef, TAG.myNumber, '個人番号');
  const digits = new TextDecoder('ascii').decode(t.value);
  const parsed = MyNumber.tryParse(digits);
  if (!parsed.ok) throw new CardProtocolError('bad_number', `the card's number field is not a valid My Number (${parsed.problem})`);
  return parsed.value;
}

export function decodeBasicFourEf(ef: Uint8Array): BasicFour {
  const t = outer(ef, TAG.basicFour, '基本4情報');
  const fields = new Map<number, Uint8Array>();
  for (const e of list(t.value)) fields.set(e.tag, e.value);
  const text = (tag: number, what: string) => {
    const v = fields.get(tag);
    if (v === undefined) throw new CardProtocolError('bad_basic_four', `基本4情報 lacks the ${what}`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(v);
    } catch (cause) {
      throw new CardProtocolError('bad_basic_four', `基本4情報's ${what} is not UTF-8`, { cause });
    }
  };
  const birth = text(TAG.birthDate, 'birth date');
  if (!/^\d{8}$/.test(birth)) throw new CardProtocolError('bad_basic_four', '基本4情報 birth date is not YYYYMMDD');
  const sex = text(TAG.sex, 'sex');
  if (sex !== '1' && sex !== '2' && sex !== '9') throw new CardProtocolError('bad_basic_four', '基本4情報 sex code is not 1, 2 or 9');
  return {
    name: text(TAG.name, 'name'),
    address: text(TAG.address, 'address'),
    birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
    sex,
  };
}

export interface SignatureEf {
  myNumberHash: Uint8Array;
  basicFourHash: Uint8Array;
  signature: Uint8Array;
  /** The bytes the signature is over: the DF31 and DF32 elements as stored. */
  signedData: Uint8Array;
}

export function decodeSignatureEf(ef: Uint8Array): SignatureEf {
  const t = outer(ef, TAG.signature, '署名');
  const items = list(t.value);
  const get = (tag: number) => {
    const e = items.find((i) => i.tag === tag);
    if (e === undefined) throw new CardProtocolError('bad_tlv', `signature file lacks tag ${tag.toString(16)}`);
    return e;
  };
  const a = get(TAG.myNumberHash);
  const b = get(TAG.basicFourHash);
  const signedData = new Uint8Array(a.raw.length + b.raw.length);
  signedData.set(a.raw, 0);
  signedData.set(b.raw, a.raw.length);
  return { myNumberHash: a.value, basicFourHash: b.value, signature: get(TAG.signatureValue).value, signedData };
}

export interface CertificateEf {
  issuer: Uint8Array;
  subject: Uint8Array;
  /** RSA modulus and public exponent, big-endian. */
  modulus: Uint8Array;
  exponent: Uint8Array;
}

/**
 * The certificate body is issuer (16 bytes), subject (16 bytes), then the
 * public key as two TLV elements; the longer one is the modulus.
 */
export function decodeCertificateEf(ef: Uint8Array): CertificateEf {
  const t = outer(ef, TAG.certificate, '証明書');
  const body = list(t.value).find((i) => i.tag === TAG.certificateBody);
  if (body === undefined || body.value.length < 32 + 4) throw new CardProtocolError('bad_tlv', 'certificate lacks its body');
  const keyParts = list(body.value.subarray(32));
  if (keyParts.length < 2) throw new CardProtocolError('bad_tlv', 'certificate lacks a public key');
  const [x, y] = [keyParts[0]!.value, keyParts[1]!.value];
  const [modulus, exponent] = x.length >= y.length ? [x, y] : [y, x];
  return { issuer: body.value.subarray(0, 16), subject: body.value.subarray(16, 32), modulus, exponent };
}

/** The EF encodings a card holds; used by the virtual card and the tests. */
export function encodeMyNumberEf(digits: string): Uint8Array {
  return encodeTlv(TAG.myNumber, new TextEncoder().encode(digits));
}

export function encodeBasicFourEf(info: BasicFour): Uint8Array {
  const enc = new TextEncoder();
  const parts = [
    encodeTlv(TAG.basicFourHeader, Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x00, 0x00])),
    encodeTlv(TAG.name, enc.encode(info.name)),
    encodeTlv(TAG.address, enc.encode(info.address)),
    encodeTlv(TAG.birthDate, enc.encode(info.birthDate.replaceAll('-', ''))),
    encodeTlv(TAG.sex, enc.encode(info.sex)),
  ];
  return encodeTlv(TAG.basicFour, concat(parts));
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) (out.set(p, i), (i += p.length));
  return out;
}

function outer(ef: Uint8Array, tag: number, what: string): Tlv {
  let t: Tlv;
  try {
    t = decodeTlv(ef, 0);
  } catch (cause) {
    throw new CardProtocolError('bad_tlv', `${what} file is not well-formed TLV`, { cause });
  }
  if (t.tag !== tag) throw new CardProtocolError('bad_tlv', `${what} file starts with tag ${t.tag.toString(16)}, not ${tag.toString(16)}`);
  return t;
}

function list(bytes: Uint8Array): Tlv[] {
  try {
    return decodeTlvList(bytes);
  } catch (cause) {
    if (cause instanceof TlvError) throw new CardProtocolError('bad_tlv', cause.message);
    throw cause;
  }
}
