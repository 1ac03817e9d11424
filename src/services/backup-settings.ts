import type { Actor } from '../domain/audit-events.js';
import { writeTransaction } from '../storage/database.js';
import { BACKUP_META, keepSetting, parseKeep } from './backup.js';
import { parseBackupTime } from './backup-runner.js';
import type { Vault } from './vault.js';

export interface BackupSchedule {
  /** HH:MM Japan time, or null when there is no scheduled backup. */
  time: string | null;
  keep: number;
}

export function backupSchedule(vault: Pick<Vault, 'meta'>): BackupSchedule {
  return { time: vault.meta.get(BACKUP_META.time) ?? null, keep: keepSetting(vault) };
}

/** Sets the daily time (empty = off) and how many backups to keep; each change is audited as settings.updated. */
export function setBackupSchedule(vault: Vault, actor: Actor, input: { time?: string | undefined; keep?: string | undefined }, client: string | null): BackupSchedule {
  const rawTime = (input.time ?? '').trim();
  const time = rawTime === '' ? null : parseBackupTime(rawTime);
  const keep = parseKeep(input.keep);
  const before = backupSchedule(vault);
  writeTransaction(vault.db, () => {
    if (before.time !== time) {
      if (time === null) vault.meta.delete(BACKUP_META.time);
      else vault.meta.set(BACKUP_META.time, time);
      vault.audit.append({ actor, action: 'settings.updated', client, detail: { key: BACKUP_META.time, before: before.time, after: time } });
    }
    if (before.keep !== keep) {
      vault.meta.set(BACKUP_META.keep, String(keep));
      vault.audit.append({ actor, action: 'settings.updated', client, detail: { key: BACKUP_META.keep, before: before.keep, after: keep } });
    }
  });
  return { time, keep };
}
