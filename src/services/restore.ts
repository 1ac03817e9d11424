import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { verifyChainParallel } from '../audit/verify.js';
import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import { MyNumber } from '../domain/my-number.js';
import type { Clock } from '../domain/ports.js';
import { Secret, zeroize } from '../domain/secret.js';
import { DB_FILE, openDatabase, writeTransaction, type Db } from '../storage/database.js';
import { migrate } from '../storage/migrate.js';
import { deriveFromCredential, readCredential, writeCredentialCopy, type CredentialLocation } from '../vault/credential.js';
import { readRotation } from '../storage/rotation-state.js';
import { vaultOpener } from '../vault/vault-opener.js';
import { LEDGER_FILE, ledgerBeside, readLedger, reapplyDisposals } from './disposal-ledger.js';
import { reapplyErasures } from './erasure.js';
import { unlockSlot, type SlotInput } from '../vault/slots.js';
import { fsyncPath, isBackupName, manifestPathOf, parseManifest, sha256File, type Manifest } from './backup-files.js';
import { numberRecordId, NUMBER_FIELD } from './numbers.js';
import { assemble, databasePath, type Vault } from './vault.js';
import { logEvent } from '../log.js';

/**
 * Restore (復元) of a backup onto a fresh folder, as a drill that proves the
 * backup is usable: the manifest's checksum, the credential (the same one the
 * vault was made with), the whole audit chain, a key slot (a PIN or the
 * recovery code) and one sealed number opened. Any failure leaves NEWDIR as it
 * was (removed, when restore created it). The restored vault's trail gets
 * backup.restored and restore.drill.
 */

export interface RestoreOptions {
  from: string;
  dataDir: string;
  credential: CredentialLocation;
  /** Also write the credential to NEWDIR/credentials/db-key, as `init --dev` lays a development vault out. */
  copyCredential: boolean;
  unlock: { kind: 'pin'; pin: Secret<string> } | { kind: 'recovery'; code: Secret<string> };
  actor: Actor;
  clock: Clock;
  /** The disposal ledger to re-apply; default: disposal-ledger.json beside the backup file. */
  disposalLedger?: string | undefined;
  /** Restore without a ledger (the operator states no disposal was ever made): refused otherwise. */
  withoutLedger?: boolean | undefined;
}

export interface RestoreResult {
  /** Disposals made after the backup and re-applied from the ledger. */
  reapplied: number[];
  manifest: Manifest;
  verifiedCount: number;
  /** The person whose number was opened, or null when the vault holds none. */
  drillPersonId: number | null;
  slotKind: 'pin' | 'recovery';
}

/** Checks an operator-given path: absolute, no '..' or control characters. Throws 'invalid' (exit 2). */
export function parseOperatorPath(input: string | undefined, what: string): string {
  const raw = (input ?? '').trim();
  if (raw === '') throw new AppError('invalid', `${what}を指定してください。`);
  if (/[\u0000-\u001f\u007f]/u.test(raw)) throw new AppError('invalid', `${what}に制御文字は使えません。`);
  if (!raw.startsWith('/')) throw new AppError('invalid', `${what}は / から始まる絶対パスで指定してください（相対パスは使えません）。`);
  if (raw.split('/').includes('..')) throw new AppError('invalid', `${what}に「..」は使えません。フォルダーをそのまま指定してください。`);
  if (raw.length > 1024) throw new AppError('invalid', `${what}が長すぎます。`);
  return raw.replace(/\/+$/u, '') || '/';
}

/** Reads and checks the manifest beside a backup file. */
export function manifestFor(from: string): Manifest {
  if (!isBackupName(basename(from))) {
    throw new AppError('invalid', 'バックアップのファイル名ではありません（mnvault-日時-記号.db の形のファイルを、マニフェスト .json と同じフォルダーのまま指定してください）。');
  }
  let text: string;
  try {
    text = readFileSync(manifestPathOf(from), 'utf8');
  } catch (cause) {
    throw new AppError('invalid', `バックアップのマニフェスト（${basename(manifestPathOf(from))}）が見つかりません。バックアップファイルと同じフォルダーに置いてください。`, { cause });
  }
  return parseManifest(text, basename(from));
}

/** Present in a data folder while a restore into it has not finished. */
export const RESTORE_MARKER = '.restore-incomplete';
export const restoreMarkerPath = (dataDir: string) => join(dataDir, RESTORE_MARKER);

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const manifest = manifestFor(opts.from);
  let st;
  try {
    st = statSync(opts.from);
  } catch (cause) {
    throw new AppError('invalid', `バックアップのファイル（${opts.from}）を読めません。`, { cause });
  }
  if (!st.isFile()) throw new AppError('invalid', `バックアップのファイル（${opts.from}）はファイルではありません。`);
  const created = prepareTarget(opts.dataDir);
  let vault: Vault | undefined;
  try {
    const path = databasePath(opts.dataDir);
    // Until the checks pass and the drill is recorded, the folder says so: a restore killed
    // half-way leaves a vault that nothing opens (openVault refuses it), not one that looks done.
    const marker = restoreMarkerPath(opts.dataDir);
    writeFileSync(marker, 'restore in progress\n', { mode: 0o600 });
    fsyncPath(marker);
    fsyncPath(opts.dataDir);
    const tmp = join(opts.dataDir, `.${DB_FILE}.restore.tmp`);
    copyFileSync(opts.from, tmp, constants.COPYFILE_EXCL);
    fsyncPath(tmp);
    // The checksum is taken of the copy that will be opened, not of the source.
    if ((await sha256File(tmp)) !== manifest.sha256) {
      throw new AppError('tampered', 'バックアップのチェックサム（SHA-256）がマニフェストと一致しません。ファイルが壊れているか、差し替えられています。別のバックアップを使ってください。');
    }
    renameSync(tmp, path);
    fsyncPath(opts.dataDir);
    vault = openRestored(opts, path, manifest);
    const verified = await verifyChainParallel({ repo: vault.auditRepo, dbPath: path, dbKey: vault.dbKey, auditKey: vault.keys.audit });
    if (!verified.ok) throw new AppError('tampered', `復元したバックアップの監査記録に改ざんを検出しました: ${verified.reason}（seq ${verified.badSeq}）。`);
    const head = verified.head;
    if ((head?.seq ?? 0) !== manifest.auditSeq || (head?.hash.toString('hex') ?? '') !== manifest.auditHead) {
      throw new AppError('tampered', 'バックアップの監査記録の先頭がマニフェストと一致しません。');
    }
    // Disposals made after this backup must not come back: re-apply them from the ledger kept outside the vault file.
    const ledgerPath = opts.disposalLedger ?? ledgerBeside(opts.from);
    if (!ledgerPath && !opts.withoutLedger) {
      throw new AppError(
        'conflict',
        `廃棄台帳（${LEDGER_FILE}）がバックアップと同じフォルダーにありません。バックアップの後に行った削除・廃棄を復元後に適用し直すために必要です。元の金庫のフォルダーかバックアップ先にある ${LEDGER_FILE} を指定してください（廃棄を一度も行っていないと確かな場合だけ --without-disposal-ledger）。復元先には何も残していません。`,
      );
    }
    const ledger = ledgerPath ? readLedger(ledgerPath, vault) : undefined;
    const reapplied = ledger ? reapplyDisposals(vault, ledger, opts.actor) : [];
    // Erasures of persons made after this backup are re-applied the same way (docs/erasure.md).
    if (ledger) reapplyErasures(vault, ledger.erasures, opts.actor);
    const drill = await openOneNumber(vault, opts.unlock);
    const v = vault;
    writeTransaction(v.db, () => {
      v.audit.append({
        actor: opts.actor,
        action: 'backup.restored',
        detail: { file: manifest.file, sha256: manifest.sha256, backup_created_at: manifest.createdAt, backup_audit_seq: manifest.auditSeq, backup_audit_head: manifest.auditHead, backup_app_version: manifest.appVersion },
      });
      v.audit.append({
        actor: opts.actor,
        action: 'restore.drill',
        subjects: drill.person ? [drill.person] : [],
        detail: { result: drill.person ? 'opened' : 'no_numbers', slot_kind: opts.unlock.kind, slot_user: drill.userId, verified_events: verified.count },
      });
    });
    vault.close();
    vault = undefined;
    rmSync(marker);
    fsyncPath(opts.dataDir);
    return { manifest, verifiedCount: verified.count, drillPersonId: drill.person?.id ?? null, slotKind: opts.unlock.kind, reapplied };
  } catch (err) {
    vault?.close();
    undoTarget(opts.dataDir, created);
    throw err;
  }
}

/** NEWDIR must be new or empty: a restore never overwrites a vault. Returns whether it was created here. */
function prepareTarget(dir: string): boolean {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new AppError('conflict', `復元先（${dir}）はフォルダーではありません。`);
    if (existsSync(restoreMarkerPath(dir))) throw new AppError('conflict', `復元先（${dir}）には途中で止まった復元が残っています。フォルダーの中身を消してから、もう一度 restore を実行してください。`);
    if (existsSync(join(dir, DB_FILE))) throw new AppError('conflict', `復元先（${dir}）には既に金庫があります。上書きしないため中止しました。新しい空のフォルダーを指定してください。`);
    if (readdirSync(dir).length > 0) throw new AppError('conflict', `復元先（${dir}）は空ではありません。新しい空のフォルダーを指定してください。`);
    return false;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return true;
}

/** Leaves NEWDIR as it was: empty again, or gone when restore made it. */
function undoTarget(dir: string, created: boolean): void {
  try {
    if (created) return rmSync(dir, { recursive: true, force: true });
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  } catch (cause) {
    logEvent('error', 'restore cleanup failed', { error: (cause as Error)?.name ?? typeof cause });
  }
}

function openRestored(opts: RestoreOptions, path: string, manifest: Manifest): Vault {
  const cred = readCredential(opts.credential);
  const dbKey = deriveFromCredential(cred, 'sqlite');
  let db: Db | undefined;
  try {
    try {
      db = openDatabase(path, dbKey);
    } catch (err) {
      if (err instanceof AppError && err.code === 'wrong_key') {
        throw new AppError(
          'wrong_key',
          'データベース鍵（db-key）がこのバックアップと一致しないため、開けません。バックアップを作った金庫の資格情報（元の装置の db-key）を指定してください。復元先には何も残していません。',
          { cause: err },
        );
      }
      throw err;
    }
    migrate(db, opts.clock.now());
    let location = opts.credential;
    if (opts.copyCredential) location = writeCredentialCopy(opts.dataDir, cred);
    const vault = assemble(db, dbKey, cred, opts.dataDir, location, opts.clock);
    if (vault.vaultId !== manifest.vaultId) {
      vault.close();
      db = undefined;
      throw new AppError('tampered', 'バックアップの中の金庫IDがマニフェストと一致しません。');
    }
    return vault;
  } catch (err) {
    if (db?.open) db.close();
    dbKey.wipe();
    throw err;
  } finally {
    cred.wipe();
  }
}

/** Unwraps the vault private key with the PIN (any user's PIN slot) or the recovery code, then opens one held number. */
async function openOneNumber(vault: Pick<Vault, 'keys' | 'meta' | 'slots' | 'persons'>, unlock: RestoreOptions['unlock']): Promise<{ person: { id: number; name: string } | null; userId: string | null }> {
  let privateKey: Secret<Buffer> | undefined;
  let userId: string | null = null;
  if (unlock.kind === 'recovery') {
    const slot = vault.slots.recoverySlot() ?? raiseNoSlot('回復コードの鍵スロット');
    privateKey = await unlockSlot(slot, { kind: 'recovery', code: unlock.code }, vault.keys.pepper);
  } else {
    const slots = vault.slots.activePinSlots();
    if (slots.length === 0) raiseNoSlot('PIN の鍵スロット');
    const input: SlotInput = { kind: 'pin', pin: unlock.pin };
    for (const slot of slots) {
      try {
        privateKey = await unlockSlot(slot, input, vault.keys.pepper);
        userId = slot.userId;
        break;
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'unauthorized')) throw err;
      }
    }
    if (!privateKey) throw new AppError('unauthorized', 'PIN が正しくありません（PIN を設定したどの利用者のものとも一致しません）。復元先は削除しました。');
  }
  const opener = vaultOpener(readRotation(vault.meta), privateKey);
  let plain: Buffer | undefined;
  try {
    const personId = vault.persons.firstHeldNumber();
    if (personId === undefined) return { person: null, userId };
    const number = vault.persons.numberOf(personId)!;
    plain = opener.open(number.sealed!, numberRecordId(personId), NUMBER_FIELD);
    MyNumber.parse(plain.toString('latin1')); // the check digit holds: a real number came out
    return { person: { id: personId, name: vault.persons.byId(personId)?.name ?? `#${personId}` }, userId };
  } finally {
    zeroize(plain);
    opener.wipe();
    privateKey.wipe();
  }
}

function raiseNoSlot(what: string): never {
  throw new AppError('unauthorized', `このバックアップには有効な${what}がありません。`);
}
