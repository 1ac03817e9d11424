import type { CaKeyStore } from '../../src/web/tls.js';

/** A CA key store in memory, standing in for the vault's (tests of the TLS files alone). */
export function memoryCaKeyStore(): CaKeyStore & { pem: string | null } {
  const store = {
    pem: null as string | null,
    read: () => store.pem,
    write: (pem: string) => {
      store.pem = pem;
    },
  };
  return store;
}
