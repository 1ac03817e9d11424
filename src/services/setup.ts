import { realpathSync, statSync, statfsSync } from 'node:fs';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import type { Actor } from '../domain/audit-events.js';
import { looksLikeNumber } from '../domain/digits.js';
import { AppError } from '../domain/errors.js';
import { FormError } from './accounts.js';
import { writeTransaction } from '../storage/database.js';
import { faultOf } from '../storage/storage-errors.js';
import { probeWrite } from '../storage/write-probe.js';
import type { Vault } from './vault.js';

/**
 * First-run setup (初期設定): the settings kept in the vault's meta table,
 * each change audited with its value, and the step that closes setup.
 * Device state is not stored here: it is read live from the devices.
 */

/** Meta keys of setup. The company name is the reports' setting (services/settings.ts). */
export const META = {
  backupDir: 'backup_dir',
  completedAt: 'setup_completed_at',
  reviewed: 'setup_reviewed',
} as const;

/** The steps in the order the admin is led through them. */
export const SETUP_STEPS = ['company', 'networks', 'pinpad', 'security-key', 'door', 'handlers', 'backup'] as const;
export type SetupStep = (typeof SETUP_STEPS)[number];

export const isSetupStep = (s: string): s is SetupStep => (SETUP_STEPS as readonly string[]).includes(s);

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/** A run this long could be a My Number (12) or a corporate number (13): never in a setting. */
const LONG_DIGITS = /[0-9０-９]{12,}/u;

export interface BackupDirCheck {
  path: string;
  ok: boolean;
  /** What is wrong, in Japanese, when not ok. */
  problem: string | null;
  /** Free space in bytes, when the folder could be inspected. */
  freeBytes: number | null;
}

/** Checks a backup path's form: absolute, plain, bounded; returns it normalised. */
export function parseBackupPath(input: string | undefined): string {
  const raw = (input ?? '').trim();
  const field = (message: string) => new FormError({ backupDir: message });
  if (raw === '') throw field('バックアップ先のフォルダーを絶対パスで入れてください（例: /mnt/backup）。');
  if (raw.length > 255) throw field('パスは255文字以内にしてください。');
  if (CONTROL.test(raw) || raw.includes('\0')) throw field('パスに制御文字は使えません。');
  if (LONG_DIGITS.test(raw) || looksLikeNumber(raw)) throw field('パスに番号のような数字の並び（12桁）は入れられません。');
  if (!isAbsolute(raw) || !raw.startsWith('/')) throw field('パスは / から始まる絶対パスで入れてください（例: /mnt/backup）。');
  if (raw.split('/').includes('..')) throw field('パスに「..」は使えません。フォルダーをそのまま指定してください。');
  const path = normalize(raw).replace(/\/+$/u, '') || '/';
  if (path === '/') throw field('ルート（/）は指定できません。バックアップ用のフォルダーを指定してください。');
  return path;
}

/**
 * Whether the service itself can keep backups in a folder: it exists, is a
 * folder, is outside the data folder (a copy on the same disk is no backup),
 * and a file can be created and removed in it as the service's own user.
 */
export function checkBackupDir(path: string, dataDir: string): BackupDirCheck {
  const fail = (problem: string, freeBytes: number | null = null): BackupDirCheck => ({ path, ok: false, problem, freeBytes });
  let st;
  try {
    st = statSync(path);
  } catch {
    return fail('フォルダーが見つかりません。USBドライブやNASが接続・マウントされているか確認してください。');
  }
  if (!st.isDirectory()) return fail('フォルダーではありません。フォルダーを指定してください。');
  // Compare real paths: a symbolic link into the data folder is still the data folder.
  let realData = resolve(dataDir);
  let realPath = path;
  try {
    realData = realpathSync(dataDir);
    realPath = realpathSync(path);
  } catch {
    // Unresolvable here: the plain comparison below still applies.
  }
  const inside = relative(realData, realPath);
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside) && !inside.startsWith(sep))) {
    return fail('データフォルダーの中は指定できません。装置のディスクが壊れると一緒に失われます。別のディスク（USBドライブ・NAS）を指定してください。');
  }
  let freeBytes: number | null = null;
  try {
    const fs = statfsSync(path);
    freeBytes = fs.bavail * fs.bsize;
  } catch {
    freeBytes = null;
  }
  try {
    probeWrite(path); // removes its file also when the write itself failed (ENOSPC)
  } catch (cause) {
    if (faultOf(cause) === 'full') return fail('バックアップ先のディスクがいっぱいです。空きを作るか、別のディスクを指定してください。', freeBytes);
    return fail('サービスがこのフォルダーに書き込めません。フォルダーの所有者・権限（サービスの利用者 mnvault が書き込めること）と、サービスの設定で書き込みが許されているかを確認してください。', freeBytes);
  }
  return { path, ok: true, problem: null, freeBytes };
}

/** Sets the backup folder after checking that the service can write there; refuses (400) otherwise. */
export function setBackupDir(vault: Pick<Vault, 'dataDir' | 'db' | 'meta' | 'audit'>, actor: Actor, input: string | undefined, client: string | null): BackupDirCheck {
  const path = parseBackupPath(input);
  const check = checkBackupDir(path, vault.dataDir);
  if (!check.ok) throw new FormError({ backupDir: check.problem! });
  const before = vault.meta.get(META.backupDir) ?? null;
  writeTransaction(vault.db, () => {
    vault.meta.set(META.backupDir, path);
    vault.audit.append({ actor, action: 'settings.updated', client, detail: { key: META.backupDir, before, after: path } });
  });
  return check;
}

/** Steps the admin has gone through (pressed 次へ on); only guides the banner and the progress bar. */
export function reviewedSteps(vault: Pick<Vault, 'meta'>): Set<SetupStep> {
  const raw = vault.meta.get(META.reviewed) ?? '';
  return new Set(raw.split(',').filter(isSetupStep));
}

export function markReviewed(vault: Pick<Vault, 'meta'>, step: SetupStep): void {
  const done = reviewedSteps(vault);
  if (done.has(step)) return;
  done.add(step);
  vault.meta.set(META.reviewed, SETUP_STEPS.filter((s) => done.has(s)).join(','));
}

export function setupCompletedAt(vault: Pick<Vault, 'meta'>): string | null {
  return vault.meta.get(META.completedAt) ?? null;
}

/**
 * Closes first-run setup. Needs the company name and at least one handler
 * with a PIN (without them nobody can use the appliance); the steps still
 * needing attention are named in the audit event. A second call does nothing.
 */
export function completeSetup(vault: Pick<Vault, 'db' | 'meta' | 'audit' | 'clock'>, actor: Actor, facts: { blocking: string[]; attention: string[] }, client: string | null): boolean {
  if (setupCompletedAt(vault)) return false;
  if (facts.blocking.length > 0) {
    throw new AppError('invalid', `初期設定を完了できません。先に次の手順を済ませてください: ${facts.blocking.join('、')}`);
  }
  const at = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    vault.meta.set(META.completedAt, at);
    vault.audit.append({ actor, action: 'setup.completed', client, detail: { attention: facts.attention.join(',') } });
  });
  return true;
}

/**
 * An admin's test of the door strike: the event is written first (nothing is
 * pulsed if it cannot be), then the relay is pulsed once. The pulse itself
 * reports a failing relay as the door service does (alarm and audit).
 */
export function recordTestPulse(vault: Pick<Vault, 'db' | 'audit'>, actor: Actor, device: string, client: string | null): void {
  writeTransaction(vault.db, () => vault.audit.append({ actor, action: 'door.test_pulse', client, device, detail: {} }));
}
