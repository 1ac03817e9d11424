import { Secret } from '../domain/secret.js';

/**
 * The My Number Card's 4-digit PIN (券面事項入力補助用暗証番号) on its way from the PIN pad to the card. Its
 * characters are read only here: callers hold Secrets and the card's codec gets the digits inside the
 * VERIFY command.
 */

/** The typed PIN as the 4 ASCII digits the card takes, or undefined when it is not 4 digits. */
export function cardPinDigits(typed: Secret<string>): Secret<Uint8Array> | undefined {
  const text = typed.expose();
  return /^[0-9]{4}$/u.test(text) ? new Secret<Uint8Array>(Buffer.from(text, 'latin1')) : undefined;
}

/**
 * The VERIFY command carrying the PIN, built by the card's codec (`verifyPinCommand` of
 * devices/mynumber-card-apdu.ts). The caller zeroes the command once sent and wipes the PIN.
 */
export function cardPinCommand(pin: Secret<Uint8Array>, build: (digits: Uint8Array) => Uint8Array): Uint8Array {
  return build(pin.expose());
}
