import type { Secret } from '../domain/secret.js';

/**
 * The vault's recovery code as the operator copies it onto paper. A code is shown once, on the screen or
 * line that reports its creation (init, demo, a key rotation that makes a new one), and never again;
 * this is the one place its characters leave the Secret for that.
 */
export function recoveryCodeForPaper(code: Secret<string>): string {
  return code.expose();
}
