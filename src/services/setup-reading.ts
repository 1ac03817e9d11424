import { namedAuditRow } from '../storage/audit-repo.js';
import { quickCheck, type IntegrityResult } from '../storage/integrity.js';
import { COMPANY_NAME_KEY } from './settings.js';
import { META } from './setup.js';
import type { Vault } from './vault.js';

/**
 * The set-up and status pages' read model: the settings as stored, the accounts
 * and keys the steps count, and the service's own facts (credential, newest
 * event, integrity). Reads only; changes go through services/setup.ts and
 * settings.ts. Made once by the composition.
 */
export class SetupReading {
  constructor(private readonly vault: Pick<Vault, 'db' | 'meta' | 'users' | 'slots' | 'securityKeys' | 'auditRepo' | 'credential'>) {}

  /** The company name as stored (undefined when unset). */
  companyNameSetting(): string | undefined {
    return this.vault.meta.get(COMPANY_NAME_KEY);
  }

  /** The backup folder as stored (undefined when unset). */
  backupDirSetting(): string | undefined {
    return this.vault.meta.get(META.backupDir);
  }

  /** Enabled handlers and whether each holds a PIN slot. */
  handlersWithPins(): { id: string; login: string; displayName: string; hasPin: boolean }[] {
    const { users, slots } = this.vault;
    return users
      .all()
      .filter((u) => u.role === 'handler' && !u.disabledAt)
      .map((u) => ({ id: u.id, login: u.login, displayName: u.displayName, hasPin: slots.pinSlotOf(u.id) !== undefined }));
  }

  activeKeyCount(): number {
    return this.vault.securityKeys.active().length;
  }

  /** Whether the vault opened with the development credential (DATA/credentials/db-key). */
  developmentKey(): boolean {
    return this.vault.credential.development;
  }

  /** When the newest audit event was written (null: none yet). */
  newestEventAt(): string | null {
    const row = this.vault.auditRepo.latest(1)[0];
    return row ? namedAuditRow(row).at : null;
  }

  /** SQLite's quick check of the open database. */
  integrity(): IntegrityResult {
    return quickCheck(this.vault.db);
  }
}
