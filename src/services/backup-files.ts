import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, createReadStream, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AppError } from '../domain/errors.js';

/**
 * The files of a backup folder: `mnvault-<UTC time>-<6 hex>.db` (the encrypted
 * copy) with its manifest `…json` beside it. A backup counts only when both are
 * there and the manifest is well formed; the manifest is renamed into place
 * last, so it is the commit mark. Work in progress lives under dot-names
 * (`.mnvault-backup-*.tmp`) that are never listed and are removed by the next
 * backup, which holds the folder's lock file while it runs.
 */

export const MANIFEST_FORMAT = 'mnvault-backup/1';
const NAME = /^mnvault-(\d{8}T\d{6}Z)-([0-9a-f]{6})\.db$/u;
// SQLite leaves `-journal` beside the temp copy when a backup is cut short.
const TEMP = /^\.mnvault-backup-\d+-[0-9a-f]+\.(db|json)\.tmp(-journal|-wal|-shm)?$/u;
const LOCK = '.mnvault-backup.lock';

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  /** The backup file's name, in the same folder. */
  file: string;
  /** When the copy was made (ISO, UTC). */
  createdAt: string;
  vaultId: string;
  /** The audit chain's head inside the copy. */
  auditSeq: number;
  auditHead: string;
  size: number;
  sha256: string;
  appVersion: string;
  schemaVersion: number;
  cipher: string;
  /** Executed disposals whose numbers are already gone from the copy. */
  disposalsIncluded: number[];
  /** At the time the manifest was written: a disposal had already run that the copy does not include. */
  predatesLatestDisposal: boolean;
}

export const isBackupName = (name: string): boolean => NAME.test(name);
export const manifestPathOf = (dbPath: string): string => dbPath.replace(/\.db$/u, '.json');

/** A new backup name from the time (UTC) and 3 random bytes, so two in one second never clash. */
export function backupName(at: Date, random: Buffer): string {
  const t = at.toISOString().replace(/[-:]/gu, '').replace(/\.\d{3}Z$/u, 'Z');
  return `mnvault-${t}-${random.subarray(0, 3).toString('hex')}.db`;
}

export function tempName(kind: 'db' | 'json', random: Buffer): string {
  return `.mnvault-backup-${process.pid}-${random.toString('hex')}.${kind}.tmp`;
}

/** Parses a manifest, refusing anything not exactly of our form; 'tampered' names the problem. */
export function parseManifest(text: string, expectedFile?: string): Manifest {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new AppError('tampered', 'バックアップのマニフェストが JSON として読めません。', { cause });
  }
  const bad = (what: string): never => {
    throw new AppError('tampered', `バックアップのマニフェストの項目（${what}）が不正です。`);
  };
  const str = (k: string, re: RegExp) => (typeof m[k] === 'string' && re.test(m[k] as string) ? (m[k] as string) : bad(k));
  const int = (k: string) => (Number.isSafeInteger(m[k]) && (m[k] as number) >= 0 ? (m[k] as number) : bad(k));
  if (m === null || typeof m !== 'object' || m.format !== MANIFEST_FORMAT) bad('format');
  const file = str('file', NAME);
  if (expectedFile !== undefined && file !== expectedFile) bad('file');
  const ids = Array.isArray(m.disposalsIncluded) && m.disposalsIncluded.every((x) => Number.isSafeInteger(x) && (x as number) > 0) ? (m.disposalsIncluded as number[]) : bad('disposalsIncluded');
  if (typeof m.predatesLatestDisposal !== 'boolean') bad('predatesLatestDisposal');
  return {
    format: MANIFEST_FORMAT,
    file,
    createdAt: str('createdAt', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/u),
    vaultId: str('vaultId', /^[0-9A-Za-z_-]{1,64}$/u),
    auditSeq: int('auditSeq'),
    auditHead: str('auditHead', /^([0-9a-f]{64})?$/u),
    size: int('size'),
    sha256: str('sha256', /^[0-9a-f]{64}$/u),
    appVersion: str('appVersion', /^[0-9A-Za-z.+-]{1,32}$/u),
    schemaVersion: int('schemaVersion'),
    cipher: str('cipher', /^[a-z0-9]{1,16}$/u),
    disposalsIncluded: ids,
    predatesLatestDisposal: m.predatesLatestDisposal as boolean,
  };
}

export interface StoredBackup {
  path: string;
  manifest: Manifest;
  /** Set when the file's size no longer matches its manifest (truncated or replaced). */
  problem: string | null;
}

/** The complete backups in a folder, newest first. Temp files, orphans and foreign files are ignored. */
export function readBackups(folder: string): StoredBackup[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (cause) {
    throw new AppError('invalid', `バックアップ先のフォルダー（${folder}）を読めません。接続と権限を確認してください。`, { cause });
  }
  const out: StoredBackup[] = [];
  for (const name of names) {
    if (!NAME.test(name)) continue;
    const path = join(folder, name);
    let manifest: Manifest;
    try {
      manifest = parseManifest(readFileSync(manifestPathOf(path), 'utf8'), name);
    } catch {
      continue; // no manifest yet (in progress or interrupted) or not ours: not a backup
    }
    let problem: string | null = null;
    try {
      if (statSync(path).size !== manifest.size) problem = 'ファイルの大きさがマニフェストと一致しません（壊れているか差し替えられています）';
    } catch {
      problem = 'ファイルを読めません';
    }
    out.push({ path, manifest, problem });
  }
  return out.sort((a, b) => (a.manifest.createdAt === b.manifest.createdAt ? basename(b.path).localeCompare(basename(a.path)) : b.manifest.createdAt.localeCompare(a.manifest.createdAt)));
}

/** SHA-256 of a file, streamed (the event loop stays free). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a new file (O_EXCL), fsyncs it. */
export function writeNewFile(path: string, data: string, mode = 0o600): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the folder's lock (a file holding our pid). A lock left by a process
 * that no longer runs (killed mid-backup) is taken over. Throws 'conflict'
 * while another backup into the folder is running.
 */
export function lockFolder(folder: string): () => void {
  const path = join(folder, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeNewFile(path, String(process.pid));
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppError('invalid', `バックアップ先のフォルダー（${folder}）に書き込めません。接続・権限と、サービスの ReadWritePaths= を確認してください。`, { cause: err });
      }
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
        throw new AppError('conflict', '同じバックアップ先へのバックアップが実行中です。終わってからもう一度実行してください。');
      }
      // Take the stale lock over atomically: move it aside under our own name (only one of two
      // racing processes can), and check it is still the dead one; a live lock taken by mistake goes back.
      const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        renameSync(path, aside);
      } catch {
        continue;
      }
      const moved = Number(readFileSync(aside, 'utf8').trim());
      if (moved !== pid && Number.isSafeInteger(moved) && moved > 0 && alive(moved)) {
        renameSync(aside, path);
        throw new AppError('conflict', '同じバックアップ先へのバックアップが実行中です。終わってからもう一度実行してください。');
      }
      unlinkSync(aside);
    }
  }
  throw new AppError('conflict', '同じバックアップ先へのバックアップが実行中です。終わってからもう一度実行してください。');
}

/**
 * Removes what interrupted backups left (the caller holds the lock, so none is
 * running): temp files, a copy whose manifest never landed, a manifest without its copy.
 */
export function cleanInterrupted(folder: string): string[] {
  const removed: string[] = [];
  const names = new Set(readdirSync(folder));
  for (const name of names) {
    const orphanDb = NAME.test(name) && !names.has(name.replace(/\.db$/u, '.json'));
    const orphanManifest = /^mnvault-\d{8}T\d{6}Z-[0-9a-f]{6}\.json$/u.test(name) && !names.has(name.replace(/\.json$/u, '.db'));
    // A temp file of a backup still running elsewhere (its pid alive) is not ours to remove.
    const tempPid = TEMP.test(name) ? Number(/^\.mnvault-backup-(\d+)-/u.exec(name)![1]) : 0;
    if (tempPid && tempPid !== process.pid && alive(tempPid)) continue;
    const staleLock = name.startsWith(`${LOCK}.stale-`);
    if (TEMP.test(name) || orphanDb || orphanManifest || staleLock) {
      unlinkSync(join(folder, name));
      removed.push(name);
    }
  }
  return removed;
}
