/**
 * The encrypted handover of a merged filing file: a ZIP whose one entry is
 * AES-256 encrypted (WinZip AE-2, the AES ZIP that 7-Zip and most archivers
 * open; Windows Explorer's own ZIP support does not, see docs/filing-season.md),
 * under a random one-time password that is shown once and never stored.
 * Made by @zip.js/zip.js, in memory, without web workers.
 */
import { randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { Secret } from '../domain/secret.js';

configure({ useWebWorkers: false });

/** No 0/O, 1/l/I: the password is read off a screen and typed. 20 characters of 56 ≈ 116 bits. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

/**
 * A handover ZIP's password. Its only reader is the waiting page that shows
 * it once (display); it prints [redacted] everywhere else, like a Secret.
 */
export class HandoverPassword {
  readonly #secret: Secret<string>;

  constructor(secret: Secret<string>) {
    this.#secret = secret;
  }

  /** The text for the one screen that shows it; nothing else may call this. */
  display(): string {
    return this.#secret.expose();
  }

  wipe(): void {
    this.#secret.wipe();
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** Four groups of five characters from ALPHABET, joined by hyphens. */
export function oneTimePassword(): HandoverPassword {
  let s = '';
  for (let i = 0; i < 20; i++) {
    if (i > 0 && i % 5 === 0) s += '-';
    s += ALPHABET[randomInt(ALPHABET.length)];
  }
  return new HandoverPassword(new Secret(s));
}

/** The file inside an AES-256 ZIP under a fresh password. The caller zeroes `bytes`. */
export async function encryptForHandover(bytes: Buffer, entryName: string): Promise<{ zip: Buffer; password: HandoverPassword }> {
  const password = oneTimePassword();
  const writer = new ZipWriter(new Uint8ArrayWriter(), { password: password.display(), encryptionStrength: 3, zipCrypto: false });
  await writer.add(entryName, new Uint8ArrayReader(bytes), { level: 6 });
  const zip = await writer.close();
  return { zip: Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), password };
}
