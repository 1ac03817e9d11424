import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { writeTransaction } from '../storage/database.js';
import { ErasureRepo } from '../storage/erasure-repo.js';
import { auditDerivedMac } from '../vault/audit-derived-mac.js';
import { fsyncPath, tempName, writeNewFile } from './backup-files.js';
import type { Vault } from './vault.js';

/**
 * The disposal ledger (廃棄台帳): every executed disposal as record ids only —
 * the disposal's id and date and its persons' ids, never a number or a name —
 * kept OUTSIDE the vault file, beside the database and in the backup folder,
 * so that a restore of a backup older than a disposal can re-apply it.
 *
 * Format (JSON, one file, replaced atomically):
 *   { "format": "mnvault-disposal-ledger/1", "vaultId": "...",
 *     "disposals": [{ "id": 3, "executedAt": "...", "personIds": [1, 2] }, ...],
 *     "mac": hex(HMAC-SHA-256(K, canonical JSON of the fields above)) }
 * K = HKDF-SHA-256(audit key, info "mnvault/v1/disposal-ledger"): the vault's
 * own secret, unwrapped from the credential, so a restored vault can check the
 * file and nobody without the keys can forge or trim it.
 */
export const LEDGER_FILE = 'disposal-ledger.json';
const FORMAT_V1 = 'mnvault-disposal-ledger/1';
/**
 * Format 2 adds the executed erasures of persons (docs/erasure.md), ids only:
 *   "erasures": [{ "id": 1, "personId": 7, "executedAt": "..." }, ...]
 * and its MAC covers JSON [format, vaultId, disposals, erasures]. Format 1
 * files (no erasures) are still read.
 */
const FORMAT = 'mnvault-disposal-ledger/2';

export interface DisposalLedger {
  vaultId: string;
  disposals: { id: number; executedAt: string; personIds: number[] }[];
  erasures: { id: number; personId: number; executedAt: string }[];
}

function canonical(l: DisposalLedger, format: string): string {
  const disposals = l.disposals.map((d) => [d.id, d.executedAt, d.personIds]);
  return JSON.stringify(format === FORMAT_V1 ? [FORMAT_V1, l.vaultId, disposals] : [format, l.vaultId, disposals, l.erasures.map((e) => [e.id, e.personId, e.executedAt])]);
}

function mac(auditKey: Secret<Buffer>, l: DisposalLedger, format = FORMAT): Buffer {
  return auditDerivedMac(auditKey, 'mnvault/v1/disposal-ledger', canonical(l, format));
}

/** The ledger of a vault as its disposals table says now. */
export function currentLedger(vault: Pick<Vault, 'retention' | 'vaultId' | 'db'>): DisposalLedger {
  const executed = vault.retention.disposals('executed', 1_000_000).map((d) => ({ id: d.id, executedAt: d.executedAt ?? '', personIds: vault.retention.disposalPersons(d.id).map((p) => p.personId) }));
  const reapplied = vault.retention.reappliedDisposals().filter((r) => !executed.some((d) => d.id === r.id));
  const erasures = new ErasureRepo(vault.db);
  const erased = erasures.executed();
  const erasedAgain = erasures.reapplied().filter((r) => !erased.some((e) => e.id === r.id));
  return { vaultId: vault.vaultId, disposals: [...executed, ...reapplied].sort((a, b) => a.id - b.id), erasures: [...erased, ...erasedAgain].sort((a, b) => a.id - b.id) };
}

/** Writes the ledger into a folder (temp file, fsync, rename): beside the database and into the backup folder. */
export function writeLedger(vault: Pick<Vault, 'retention' | 'vaultId' | 'keys' | 'db'>, folder: string): void {
  const l = currentLedger(vault);
  const text = `${JSON.stringify({ format: FORMAT, vaultId: l.vaultId, disposals: l.disposals, erasures: l.erasures, mac: mac(vault.keys.audit, l).toString('hex') })}\n`;
  // A backup-style temp name: one left by a crash is cleared by the next backup of the folder.
  const tmp = join(folder, tempName('json', randomBytes(6)));
  writeNewFile(tmp, text);
  renameSync(tmp, join(folder, LEDGER_FILE));
  fsyncPath(folder);
}

/** Reads and authenticates a ledger file for this vault. Throws 'tampered' when it does not check. */
export function readLedger(path: string, vault: Pick<Vault, 'vaultId' | 'keys'>): DisposalLedger {
  let raw: { format?: unknown; vaultId?: unknown; disposals?: unknown; erasures?: unknown; mac?: unknown };
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as typeof raw;
  } catch (cause) {
    throw new AppError('tampered', `廃棄台帳（${path}）を読めません。ファイルが壊れています。`, { cause });
  }
  const disposals = Array.isArray(raw.disposals) ? (raw.disposals as DisposalLedger['disposals']) : null;
  const erasures = raw.format === FORMAT_V1 ? [] : Array.isArray(raw.erasures) ? (raw.erasures as DisposalLedger['erasures']) : null;
  const ok =
    (raw.format === FORMAT || raw.format === FORMAT_V1) &&
    erasures !== null &&
    erasures.every((e) => Number.isSafeInteger(e.id) && Number.isSafeInteger(e.personId) && typeof e.executedAt === 'string') &&
    typeof raw.vaultId === 'string' &&
    typeof raw.mac === 'string' &&
    disposals !== null &&
    disposals.every((d) => Number.isSafeInteger(d.id) && typeof d.executedAt === 'string' && Array.isArray(d.personIds) && d.personIds.every((p) => Number.isSafeInteger(p)));
  if (!ok) throw new AppError('tampered', `廃棄台帳（${path}）の形式が正しくありません。`);
  if (raw.vaultId !== vault.vaultId) throw new AppError('tampered', `廃棄台帳（${path}）は別の金庫のものです。`);
  const l: DisposalLedger = { vaultId: raw.vaultId, disposals: disposals, erasures: erasures };
  const want = mac(vault.keys.audit, l, raw.format as string);
  const got = Buffer.from(raw.mac as string, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new AppError('tampered', `廃棄台帳（${path}）の認証に失敗しました。改ざんされているか、別の金庫の鍵で作られています。`);
  return l;
}

/** The ledger a restore of `backupPath` reads: beside the backup file (the backup folder). */
export function ledgerBeside(backupPath: string): string | undefined {
  const p = join(dirname(backupPath), LEDGER_FILE);
  return existsSync(p) ? p : undefined;
}

/**
 * Re-applies, in a restored vault, every disposal of the ledger that the
 * backup does not include: the numbers of its persons are destroyed again and
 * the disposal is recorded as re-applied (its id, date and persons), with one
 * 'disposal.reapplied' event each. Returns the ids re-applied.
 */
export function reapplyDisposals(vault: Pick<Vault, 'db' | 'persons' | 'retention' | 'audit' | 'clock'>, ledger: DisposalLedger, actor: Actor): number[] {
  const have = new Set([...vault.retention.disposals('executed', 1_000_000).map((d) => d.id), ...vault.retention.reappliedDisposals().map((d) => d.id)]);
  const missing = ledger.disposals.filter((d) => !have.has(d.id));
  if (missing.length === 0) return [];
  const at = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    for (const d of missing) {
      const subjects = d.personIds.map((id) => ({ id, name: vault.persons.byId(id)?.name ?? `#${id}` }));
      let destroyed = 0;
      for (const id of d.personIds) if (vault.retention.destroyNumber(id, at)) destroyed++;
      vault.retention.recordReapplied(d.id, d.executedAt, d.personIds, at);
      vault.audit.append({ actor, action: 'disposal.reapplied', subjects, detail: { disposal_id: d.id, executed_at: d.executedAt, destroyed } });
    }
  });
  return missing.map((d) => d.id);
}
