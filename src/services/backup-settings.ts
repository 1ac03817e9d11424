import { AppError } from '../domain/errors.js';
import { FormError, type FieldErrors } from './accounts.js';
import type { Actor } from '../domain/audit-events.js';
import { writeTransaction } from '../storage/database.js';
import { BACKUP_META, keepSetting, parseKeep } from './backup.js';
import { parseBackupTime } from './backup-runner.js';
import { META } from './setup.js';
import type { Vault } from './vault.js';

export interface BackupSchedule {
  /** HH:MM Japan time, or null when there is no scheduled backup. */
  time: string | null;
  keep: number;
}

export function backupSchedule(vault: Pick<Vault, 'meta'>): BackupSchedule {
  return { time: vault.meta.get(BACKUP_META.time) ?? null, keep: keepSetting(vault) };
}

/** The folder backups are written to (meta backup_dir), or null when none is set. */
export function backupFolderSetting(vault: Pick<Vault, 'meta'>): string | null {
  return vault.meta.get(META.backupDir) ?? null;
}

/** Sets the daily time (empty = off) and how many backups to keep; each change is audited as settings.updated. */
export function setBackupSchedule(vault: Pick<Vault, 'db' | 'meta' | 'audit'>, actor: Actor, input: { time?: string | undefined; keep?: string | undefined }, client: string | null): BackupSchedule {
  const rawTime = (input.time ?? '').trim();
  // Both fields are checked before either is refused, so the form can show each problem beside its field.
  const errors: FieldErrors = {};
  const time = rawTime === '' ? null : fieldOf(errors, 'time', () => parseBackupTime(rawTime));
  const keep = fieldOf(errors, 'keep', () => parseKeep(input.keep));
  if (Object.keys(errors).length > 0 || keep === undefined || time === undefined) throw new FormError(errors);
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

function fieldOf<T>(errors: FieldErrors, name: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'invalid')) throw err;
    errors[name] = err.publicMessage;
    return undefined;
  }
}
