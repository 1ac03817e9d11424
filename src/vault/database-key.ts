import type { Secret } from '../domain/secret.js';

/**
 * Hands the database cipher its raw 256-bit key: `apply` gets the pragma text
 * (`key="raw:…"` to open, `rekey="raw:…"` to re-key) and must pass it straight
 * to the database, keeping it nowhere else. The key bytes are read only here.
 */
export function applyKeyPragma(verb: 'key' | 'rekey', key: Secret<Buffer>, apply: (pragma: string) => unknown): void {
  apply(`${verb}="raw:${key.expose().toString('hex')}"`);
}
