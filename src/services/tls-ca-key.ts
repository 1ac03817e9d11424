import { SYSTEM_ACTOR } from '../domain/audit-events.js';
import { writeTransaction } from '../storage/database.js';
import type { CaKeyStore } from '../web/tls.js';
import type { Vault } from './vault.js';

const META_KEY = 'tls_ca_key';

/**
 * The local CA's private key kept inside the encrypted vault (vault_meta), so
 * that it is encrypted at rest under the database key, travels in the
 * (encrypted) backups, and is never a plain file in the tls folder. Whoever
 * can open the vault can issue server certificates for the appliance's names;
 * the name constraints keep that from reaching any other site.
 */
export function vaultCaKeyStore(vault: Pick<Vault, 'db' | 'meta' | 'audit'>): CaKeyStore {
  return {
    read: () => vault.meta.get(META_KEY) ?? null,
    write: (pem) =>
      writeTransaction(vault.db, () => {
        const replaced = vault.meta.get(META_KEY) !== undefined;
        vault.meta.set(META_KEY, pem);
        // The key itself never goes into the event; its public half is in ca.pem.
        vault.audit.append({ actor: SYSTEM_ACTOR, action: 'tls.ca_key_stored', detail: { replaced } });
      }),
  };
}
