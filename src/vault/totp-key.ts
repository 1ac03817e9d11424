import { Secret as OtpSecret, TOTP } from 'otpauth';
import type { Secret } from '../domain/secret.js';

/** The generator's settings (issuer, label, algorithm, digits, period): everything but the secret. */
export type TotpSettings = Omit<NonNullable<ConstructorParameters<typeof TOTP>[0]>, 'secret'>;

/**
 * An RFC 6238 generator over a user's TOTP secret (opened by second-factor-keys.ts). The secret's bytes
 * are read only here, copied into the generator, which the caller drops after one use.
 */
export function totpGenerator(secret: Secret<Buffer>, settings: TotpSettings): TOTP {
  return new TOTP({ ...settings, secret: new OtpSecret({ buffer: new Uint8Array(secret.expose()).buffer }) });
}
