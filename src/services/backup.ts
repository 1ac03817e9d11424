import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { storageFault } from '../domain/storage-faults.js';
import { quickCheck } from '../storage/integrity.js';
import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import { logFailure } from '../failure-log.js';
import { packagePath } from '../paths.js';
import { AuditRepo } from '../storage/audit-repo.js';
import { copyDatabase, CopyInterrupted, type CopyProgress } from '../storage/backup-copy.js';
import { DB_CIPHER, openDatabase, writeTransaction } from '../storage/database.js';
import { schemaVersion } from '../storage/migrate.js';
import { MetaRepo } from '../storage/meta-repo.js';
import { writeLedger } from './disposal-ledger.js';
import { RetentionRepo, type DisposalRow } from '../storage/retention-repo.js';
import {
  backupName, cleanInterrupted, fsyncPath, lockFolder, MANIFEST_FORMAT, manifestPathOf, readBackups, sha256File, tempName, writeNewFile, type Manifest, type StoredBackup,
} from './backup-files.js';
import { checkBackupDir, META, parseBackupPath } from './setup.js';
import { databasePath, type Vault } from './vault.js';

/**
 * Backups (バックアップ): an online, consistent, still-encrypted copy of the
 * vault into a mounted folder, with a manifest; the newest N are kept. Each
 * run is audited as backup.created or backup.failed, and its outcome is kept
 * in meta for the admin's home page.
 */

export const BACKUP_META = {
  keep: 'backup_keep',
  /** Daily time (HH:MM, Japan time) of the scheduled backup; unset = none. */
  time: 'backup_time',
  /** JSON of the last run's outcome (LastBackup). */
  last: 'backup_last',
  /** The Japan date the schedule last ran on. */
  scheduledOn: 'backup_scheduled_on',
} as const;

export const DEFAULT_KEEP = 7;
export const MAX_KEEP = 365;

export type BackupTrigger = 'cli' | 'web' | 'schedule';

export interface LastBackup {
  state: 'ok' | 'failed';
  at: string;
  trigger: BackupTrigger;
  file?: string;
  reason?: string;
}

export interface BackupResult {
  path: string;
  manifest: Manifest;
  removed: string[];
  seconds: number;
  pages: CopyProgress;
}

export interface BackupOptions {
  folder: string;
  keep?: number | undefined;
  actor: Actor;
  client: string | null;
  trigger: BackupTrigger;
  offThread?: boolean;
  onProgress?: (p: CopyProgress) => void;
  /** Cancels the copy (the service is stopping); the run then fails as interrupted, audited, its temp files removed. */
  signal?: AbortSignal;
}

let appVersionCache: string | undefined;
export function appVersion(): string {
  appVersionCache ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  return appVersionCache;
}

/** The folder to use: --to when given (absolute, plain), else the configured backup_dir. Throws 'invalid' (exit 2 / 400). */
export function backupFolder(vault: Pick<Vault, 'meta'>, flag: string | undefined): string {
  if (flag !== undefined) return parseBackupPath(flag);
  const configured = vault.meta.get(META.backupDir);
  if (!configured) throw new AppError('invalid', 'バックアップ先のフォルダーが設定されていません。初期設定の「バックアップ先」で設定するか、--to で絶対パスを指定してください。');
  return configured;
}

export function keepSetting(vault: Pick<Vault, 'meta'>): number {
  const v = Number(vault.meta.get(BACKUP_META.keep) ?? DEFAULT_KEEP);
  return Number.isSafeInteger(v) && v >= 1 && v <= MAX_KEEP ? v : DEFAULT_KEEP;
}

export function parseKeep(input: string | undefined): number {
  const t = (input ?? '').trim();
  if (!/^[0-9]{1,3}$/u.test(t) || Number(t) < 1 || Number(t) > MAX_KEEP) throw new AppError('invalid', `残すバックアップの数は1〜${MAX_KEEP}の整数で指定してください。`);
  return Number(t);
}

export function lastBackup(vault: Pick<Vault, 'meta'>): LastBackup | null {
  const raw = vault.meta.get(BACKUP_META.last);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as LastBackup;
  } catch {
    return null;
  }
}

/**
 * Makes one backup. Order, so a crash at any point leaves either a complete
 * backup or none: copy into a temp file, fsync, read the copy's own head,
 * checksum, write the manifest's temp, rename the copy, rename the manifest
 * (the commit), fsync the folder; then rotate and audit. Failures are audited
 * as backup.failed (best effort) and rethrown.
 */
export async function createBackup(vault: Pick<Vault, 'dataDir' | 'db' | 'dbKey' | 'vaultId' | 'keys' | 'meta' | 'retention' | 'audit' | 'clock'>, opts: BackupOptions): Promise<BackupResult> {
  const t0 = performance.now();
  const startedAt = vault.clock.now();
  try {
    const check = checkBackupDir(opts.folder, vault.dataDir);
    if (!check.ok) throw new AppError('invalid', `バックアップ先（${opts.folder}）を使えません: ${check.problem}`);
    // A damaged database is not copied over as if it were a good backup.
    const integrity = quickCheck(vault.db);
    if (!integrity.ok) throw storageFault('damaged', { detail: `quick_check: ${integrity.problem}` });
    const keep = opts.keep ?? keepSetting(vault);
    const unlock = lockFolder(opts.folder);
    try {
      cleanInterrupted(opts.folder);
      const tmpDb = join(opts.folder, tempName('db', randomBytes(6)));
      let pages;
      try {
        pages = await copyDatabase(databasePath(vault.dataDir), vault.dbKey, tmpDb, {
          ...(opts.offThread !== undefined ? { offThread: opts.offThread } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        // A stopped or failed copy leaves neither its file nor SQLite's journal beside it.
        for (const f of [tmpDb, `${tmpDb}-journal`]) rmSync(f, { force: true });
        if (err instanceof CopyInterrupted) throw new AppError('conflict', 'サービスの停止によりバックアップを中断しました。途中のファイルは消しました。サービスの起動後にもう一度バックアップしてください。', { cause: err });
        throw err;
      }
      fsyncPath(tmpDb);
      const name = backupName(startedAt, randomBytes(3));
      const inside = describeCopy(vault, tmpDb);
      const sha256 = await sha256File(tmpDb);
      const size = statSync(tmpDb).size;
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        file: name,
        createdAt: startedAt.toISOString(),
        vaultId: inside.vaultId,
        auditSeq: inside.auditSeq,
        auditHead: inside.auditHead,
        size,
        sha256,
        appVersion: appVersion(),
        schemaVersion: inside.schemaVersion,
        cipher: DB_CIPHER,
        disposalsIncluded: inside.disposalsIncluded,
        predatesLatestDisposal: missingDisposals(inside.disposalsIncluded, vault.retention.disposals('executed', 10_000)).length > 0,
      };
      if (manifest.vaultId !== vault.vaultId) throw new Error('backup copy names another vault');
      const tmpManifest = join(opts.folder, tempName('json', randomBytes(6)));
      writeNewFile(tmpManifest, `${JSON.stringify(manifest, null, 2)}\n`);
      const finalDb = join(opts.folder, name);
      renameSync(tmpDb, finalDb);
      renameSync(tmpManifest, manifestPathOf(finalDb));
      fsyncPath(opts.folder);
      // The disposal ledger travels with the backups, so a restore can re-apply later disposals.
      writeLedger(vault, opts.folder);
      const removed = rotate(vault, opts.folder, keep, name);
      const seconds = Math.round((performance.now() - t0) / 10) / 100;
      writeTransaction(vault.db, () => {
        vault.audit.append({
          actor: opts.actor,
          action: 'backup.created',
          client: opts.client,
          detail: { file: name, folder: opts.folder, audit_seq: manifest.auditSeq, audit_head: manifest.auditHead, size, sha256, seconds, keep, removed: removed.join(','), trigger: opts.trigger },
        });
        setLast(vault, { state: 'ok', at: vault.clock.now().toISOString(), trigger: opts.trigger, file: name });
      });
      return { path: finalDb, manifest, removed, seconds, pages };
    } finally {
      unlock();
    }
  } catch (err) {
    noteFailure(vault, opts, err);
    throw err;
  }
}

function setLast(vault: Pick<Vault, 'meta'>, last: LastBackup): void {
  vault.meta.set(BACKUP_META.last, JSON.stringify(last));
}

/** backup.failed with the public reason (an unexpected error: its reference id, logged with its frames). */
function noteFailure(vault: Pick<Vault, 'db' | 'meta' | 'audit' | 'clock'>, opts: BackupOptions, err: unknown): void {
  const ref = err instanceof AppError ? undefined : logFailure('backup_failed', err);
  const reason = err instanceof AppError ? err.publicMessage : `内部エラー（参照ID: ${ref}、${(err as Error)?.name ?? typeof err}）`;
  try {
    writeTransaction(vault.db, () => {
      vault.audit.append({ actor: opts.actor, action: 'backup.failed', client: opts.client, detail: { folder: opts.folder, reason, trigger: opts.trigger } });
      setLast(vault, { state: 'failed', at: vault.clock.now().toISOString(), trigger: opts.trigger, reason });
    });
  } catch (cause) {
    logFailure('backup_failed_not_recorded', cause);
  }
}

/** What the copy itself holds: its vault id, audit head, schema version and executed disposals. */
function describeCopy(vault: Pick<Vault, 'dbKey'>, path: string): { vaultId: string; auditSeq: number; auditHead: string; schemaVersion: number; disposalsIncluded: number[] } {
  const db = openDatabase(path, vault.dbKey, { readonly: true });
  try {
    const head = new AuditRepo(db).head();
    return {
      vaultId: new MetaRepo(db).get('vault_id') ?? '',
      auditSeq: head?.seq ?? 0,
      auditHead: head?.hash.toString('hex') ?? '',
      schemaVersion: schemaVersion(db),
      disposalsIncluded: RetentionRepo.executedDisposalIdsIn(db),
    };
  } finally {
    db.close();
  }
}

/** Executed disposals the backup does not include: its copy still holds their numbers. */
export function missingDisposals(included: readonly number[], executed: readonly DisposalRow[]): DisposalRow[] {
  const have = new Set(included);
  return executed.filter((d) => !have.has(d.id)).sort((a, b) => (b.executedAt ?? '').localeCompare(a.executedAt ?? ''));
}

/**
 * Deletes this vault's oldest backups beyond `keep` (the manifest first, so a
 * half-deleted one is never listed). Oldest by audit seq, not by the clock: a
 * backup made while the clock is behind is still the newest, and the one just
 * written is never among those removed.
 */
function rotate(vault: Pick<Vault, 'vaultId'>, folder: string, keep: number, justWritten: string): string[] {
  const mine = readBackups(folder)
    .filter((b) => b.manifest.vaultId === vault.vaultId)
    .sort((a, b) => b.manifest.auditSeq - a.manifest.auditSeq || b.manifest.createdAt.localeCompare(a.manifest.createdAt));
  const kept = [mine.find((b) => basename(b.path) === justWritten), ...mine.filter((b) => basename(b.path) !== justWritten)].filter((b) => b !== undefined);
  const removed: string[] = [];
  for (const b of kept.slice(Math.max(1, keep))) {
    unlinkSync(manifestPathOf(b.path));
    unlinkSync(b.path);
    removed.push(basename(b.path));
  }
  if (removed.length) fsyncPath(folder);
  return removed;
}

export interface ListedBackup extends StoredBackup {
  name: string;
  /** Another vault's backup in the same folder. */
  otherVault: boolean;
  /** Computed now against the current disposals: the copy still holds numbers disposed since. */
  flagged: boolean;
  /** The newest disposal the copy predates, with the date by which such copies age out. */
  disposal: { id: number; executedAt: string | null; backupsAgedOutOn: string | null } | null;
}

/** The folder's backups, newest first, each flagged against the vault's current disposals. */
export function listBackups(vault: Pick<Vault, 'vaultId' | 'retention'>, folder: string): ListedBackup[] {
  const executed = vault.retention.disposals('executed', 10_000);
  return readBackups(folder).map((b) => {
    const missing = missingDisposals(b.manifest.disposalsIncluded, executed);
    const d = missing[0];
    return {
      ...b,
      name: basename(b.path),
      otherVault: b.manifest.vaultId !== vault.vaultId,
      flagged: missing.length > 0,
      disposal: d ? { id: d.id, executedAt: d.executedAt, backupsAgedOutOn: d.backupsAgedOutOn } : null,
    };
  });
}

/** Backups in the configured folder that predate one disposal (for its record page); empty when none or unreadable. */
export function backupsPredating(vault: Pick<Vault, 'vaultId' | 'meta' | 'retention'>, disposalId: number): ListedBackup[] {
  const folder = vault.meta.get(META.backupDir);
  if (!folder) return [];
  try {
    return listBackups(vault, folder).filter((b) => !b.otherVault && !b.manifest.disposalsIncluded.includes(disposalId));
  } catch {
    return [];
  }
}
