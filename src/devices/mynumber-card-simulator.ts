/**
 * A virtual 個人番号カード for development and tests: answers the 券面事項入力補助AP's
 * commands as docs/mynumber-card.md describes a real card doing (SELECT by AID
 * and by EF id, VERIFY with the PIN counter, READ BINARY guarded by the PIN).
 * Its signature file is made with a fresh RSA key whose public half sits in its
 * certificate file; `signature: 'invalid'` serves a 基本4情報 that differs from
 * the one that was signed (as a forged card's would).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { KENHOJO_AID, KENHOJO_EF } from './mynumber-card-apdu.js';
import { concat, encodeBasicFourEf, encodeMyNumberEf, TAG, type BasicFour } from './mynumber-card-data.js';
import { encodeTlv } from './tlv.js';
import type { VirtualCard } from './vpcd-client.js';

export interface VirtualMyNumberCardOptions {
  /** Twelve digits (the test numbers are synthetic). */
  number: string;
  basicFour: BasicFour;
  /** Four digits. */
  pin: string;
  /** Tries left now (a card starts at 3). */
  triesLeft?: number;
  signature?: 'valid' | 'invalid' | 'absent';
  /** The issuer's RSA key as PKCS#8 PEM (one made per process when absent). */
  issuerKeyPem?: string;
  /** Called with each command and response (for transcripts). */
  onExchange?: (command: Uint8Array, response: Uint8Array) => void;
}

const MAX_TRIES = 3;
/** T=1 ATR with a correct check byte; a real card's ATR differs, nothing here depends on it. */
const ATR = Uint8Array.from([0x3b, 0x80, 0x80, 0x01, 0x01]);

let sharedKey: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

/** One RSA-2048 key per process, made on first use (a few hundred ms), unless one is given. */
function issuerKey(pem?: string) {
  if (pem !== undefined) {
    const privateKey = createPrivateKey(pem);
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  sharedKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return sharedKey;
}

/** A key to hand to virtual cards on other threads, so each does not make its own. */
export function newIssuerKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export class VirtualMyNumberCard implements VirtualCard {
  #files = new Map<number, Uint8Array>();
  #pin: string;
  #tries: number;
  #apSelected = false;
  #ef: number | undefined;
  #verified = false;
  readonly #onExchange: VirtualMyNumberCardOptions['onExchange'];

  constructor(options: VirtualMyNumberCardOptions) {
    this.#pin = options.pin;
    this.#tries = options.triesLeft ?? MAX_TRIES;
    this.#onExchange = options.onExchange;
    const numberEf = encodeMyNumberEf(options.number);
    const signedFour = encodeBasicFourEf(options.basicFour);
    const servedFour =
      options.signature === 'invalid' ? encodeBasicFourEf({ ...options.basicFour, address: `${options.basicFour.address}一` }) : signedFour;
    this.#files.set(KENHOJO_EF.myNumber, numberEf);
    this.#files.set(KENHOJO_EF.basicFour, servedFour);
    if ((options.signature ?? 'valid') !== 'absent') {
      const { privateKey, publicKey } = issuerKey(options.issuerKeyPem);
      const h1 = encodeTlv(TAG.myNumberHash, createHash('sha256').update(numberEf).digest());
      const h2 = encodeTlv(TAG.basicFourHash, createHash('sha256').update(signedFour).digest());
      const sig = sign('sha256', concat([h1, h2]), privateKey);
      this.#files.set(KENHOJO_EF.signature, encodeTlv(TAG.signature, concat([h1, h2, encodeTlv(TAG.signatureValue, sig)])));
      const jwk = publicKey.export({ format: 'jwk' });
      const body = concat([
        new Uint8Array(16).fill(0x11),
        new Uint8Array(16).fill(0x22),
        encodeTlv(0x81, Buffer.from(jwk.n!, 'base64url')),
        encodeTlv(0x82, Buffer.from(jwk.e!, 'base64url')),
      ]);
      this.#files.set(
        KENHOJO_EF.certificate,
        encodeTlv(TAG.certificate, concat([encodeTlv(TAG.certificateBody, body), encodeTlv(TAG.certificateSignature, new Uint8Array(256))])),
      );
    }
  }

  get triesLeft(): number {
    return this.#tries;
  }

  atr(): Uint8Array {
    return ATR;
  }

  reset(): void {
    this.#apSelected = false;
    this.#ef = undefined;
    this.#verified = false;
  }

  respond(apdu: Uint8Array): Uint8Array {
    const out = this.#answer(apdu);
    this.#onExchange?.(apdu.slice(), out.slice());
    return out;
  }

  #answer(apdu: Uint8Array): Uint8Array {
    if (apdu.length < 4) return sw(0x6700);
    const [cla, ins, p1, p2] = apdu;
    if (cla !== 0x00) return sw(0x6e00);
    const data = apdu.length > 5 ? apdu.subarray(5, 5 + apdu[4]!) : new Uint8Array(0);
    switch (ins) {
      case 0xa4:
        return this.#select(p1!, data);
      case 0x20:
        return this.#verify(p2!, data);
      case 0xb0:
        return this.#read(((p1! & 0x7f) << 8) | p2!, apdu.length === 5 ? apdu[4]! || 256 : 256);
      default:
        return sw(0x6d00);
    }
  }

  #select(p1: number, data: Uint8Array): Uint8Array {
    if (p1 === 0x04) {
      if (data.length !== KENHOJO_AID.length || !data.every((b, i) => b === KENHOJO_AID[i])) return sw(0x6a82);
      this.reset();
      this.#apSelected = true;
      return sw(0x9000);
    }
    if (p1 === 0x02 && data.length === 2 && this.#apSelected) {
      const ef = (data[0]! << 8) | data[1]!;
      if (ef !== KENHOJO_EF.pin && !this.#files.has(ef)) return sw(0x6a82);
      this.#ef = ef;
      return sw(0x9000);
    }
    return sw(0x6a82);
  }

  #verify(p2: number, data: Uint8Array): Uint8Array {
    if (p2 !== 0x80 || this.#ef !== KENHOJO_EF.pin) return sw(0x6a88);
    if (this.#tries === 0) return sw(0x6983);
    if (data.length === 0) return sw(0x63c0 | this.#tries);
    const typed = new TextDecoder().decode(data);
    if (typed === this.#pin) {
      this.#tries = MAX_TRIES;
      this.#verified = true;
      return sw(0x9000);
    }
    this.#tries -= 1;
    this.#verified = false;
    return sw(0x63c0 | this.#tries);
  }

  #read(offset: number, le: number): Uint8Array {
    if (this.#ef === undefined || this.#ef === KENHOJO_EF.pin) return sw(0x6986);
    if (this.#ef !== KENHOJO_EF.certificate && !this.#verified) return sw(0x6982);
    const file = this.#files.get(this.#ef)!;
    if (offset >= file.length) return sw(0x6b00);
    const chunk = file.subarray(offset, offset + le);
    return concat([chunk, sw(chunk.length < le ? 0x6282 : 0x9000)]);
  }
}

function sw(code: number): Uint8Array {
  return Uint8Array.from([code >> 8, code & 0xff]);
}
