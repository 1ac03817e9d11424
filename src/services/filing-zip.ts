/**
 * The encrypted handover of a merged filing file: a ZIP whose one entry is
 * AES-256 encrypted (WinZip AE-2, the AES ZIP 7-Zip and most archivers open;
 * Windows Explorer's own ZIP support does not, see docs/filing-season.md),
 * with a random one-time password returned as a Secret and never stored.
 * Made by @zip.js/zip.js, in memory, without web workers.
 */
import { randomInt } from 'node:crypto';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { Secret } from '../domain/secret.js';

configure({ useWebWorkers: false });

/** No 0/O, 1/l/I: the password is read off a screen and typed. 20 characters of 54 ≈ 115 bits. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

export function oneTimePassword(length = 20): Secret<string> {
  let s = '';
  for (let i = 0; i < length; i++) {
    if (i > 0 && i % 5 === 0) s += '-';
    s += ALPHABET[randomInt(ALPHABET.length)];
  }
  return new Secret(s);
}

/** The file inside an AES-256 ZIP under a fresh password. The caller zeroes `bytes`. */
export async function encryptForHandover(bytes: Buffer, entryName: string): Promise<{ zip: Buffer; password: Secret<string> }> {
  const password = oneTimePassword();
  const writer = new ZipWriter(new Uint8ArrayWriter(), { password: password.expose(), encryptionStrength: 3, zipCrypto: false });
  await writer.add(entryName, new Uint8ArrayReader(bytes), { level: 6 });
  const zip = await writer.close();
  return { zip: Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), password };
}
