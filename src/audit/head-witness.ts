import { timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { deriveKey, hmacSha256 } from '../vault/keyed-mac.js';
import type { ChainHead } from './chain.js';

/**
 * The head witness: the last committed audit head, kept OUTSIDE the database
 * in DATA/audit-head, so a crash that loses or damages the WAL (and with it
 * acknowledged writes) cannot pass as a shorter but intact chain.
 *
 * SQLite cannot tell: a deleted vault.db-wal simply reopens the last
 * checkpointed state and the chain still verifies. The witness is written
 * (temp file, fsync, rename, fsync of the folder) after each commit that
 * appended an event; it is only ever raised, never lowered, so two processes
 * writing the same vault leave the higher head.
 *
 * Format, one line of JSON:
 *   {"v":1,"vault":ID,"seq":N,"hash":HEX,"mac":HEX}
 *   mac = HMAC-SHA-256(K_head, "mnvault-head/v1\n" ‖ vault ‖ "\n" ‖ seq ‖ "\n" ‖ hash)
 * with K_head = HKDF(audit service key, "mnvault/v1/head"). The audit key is
 * unwrapped only with the credential, so nobody without it can write a
 * witness the vault accepts; and it survives a rekey (the same service keys
 * are wrapped again), so the witness does too.
 */
export const HEAD_FILE = 'audit-head';

export interface Witness {
  vaultId: string;
  seq: number;
  hash: Buffer;
}

export function deriveHeadKey(auditKey: Secret<Buffer>): Secret<Buffer> {
  return deriveKey(auditKey, 'mnvault/v1/head');
}

export function headPath(dataDir: string): string {
  return join(dataDir, HEAD_FILE);
}

function mac(key: Secret<Buffer>, w: Witness): Buffer {
  return hmacSha256(key, `mnvault-head/v1\n${w.vaultId}\n${w.seq}\n${w.hash.toString('hex')}`);
}

/** Reads the witness: undefined when there is none; throws 'tampered' when it does not authenticate. */
export function readWitness(dataDir: string, key: Secret<Buffer>): Witness | undefined {
  let text: string;
  try {
    text = readFileSync(headPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('internal', `監査記録の先頭の控え（${HEAD_FILE}）を読めません。データフォルダの権限とディスクを確認してください。`, { cause: err });
  }
  const bad = () =>
    new AppError(
      'tampered',
      `監査記録の先頭の控え（${HEAD_FILE}）が壊れているか、この鍵で書かれたものではありません。別の金庫の控えが残っていないか確認し、バックアップから復元するか、確認のうえ mnvault accept-head --data ${dataDir} で現状を受け入れてください。`,
    );
  try {
    const j = JSON.parse(text) as { v?: unknown; vault?: unknown; seq?: unknown; hash?: unknown; mac?: unknown };
    if (j.v !== 1 || typeof j.vault !== 'string' || !Number.isSafeInteger(j.seq) || typeof j.hash !== 'string' || typeof j.mac !== 'string') throw bad();
    const w: Witness = { vaultId: j.vault, seq: j.seq as number, hash: Buffer.from(j.hash, 'hex') };
    const given = Buffer.from(j.mac, 'hex');
    const want = mac(key, w);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw bad();
    return w;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw bad();
  }
}

/** Writes the witness durably (temp file, fsync, rename, folder fsync). */
export function writeWitness(dataDir: string, key: Secret<Buffer>, w: Witness): void {
  const path = headPath(dataDir);
  const tmp = `${path}.tmp`;
  const line = `${JSON.stringify({ v: 1, vault: w.vaultId, seq: w.seq, hash: w.hash.toString('hex'), mac: mac(key, w).toString('hex') })}\n`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export type WitnessCheck =
  | { ok: true; witness: Witness | undefined }
  | { ok: false; witness: Witness; reason: string };

/**
 * Compares the chain with the witness. The chain may be longer (a crash
 * between commit and witness); it may not be shorter, and the event at the
 * witness's seq must be the one witnessed.
 */
export function checkAgainstWitness(vaultId: string, chainHead: ChainHead | undefined, hashAt: (seq: number) => Buffer | undefined, w: Witness | undefined): WitnessCheck {
  if (!w) return { ok: true, witness: undefined };
  if (w.vaultId !== vaultId) return { ok: false, witness: w, reason: `先頭の控え（${HEAD_FILE}）は別の金庫（${w.vaultId}）のものです` };
  const have = chainHead?.seq ?? 0;
  if (have < w.seq) {
    return {
      ok: false,
      witness: w,
      reason: `監査記録が seq ${have} までしかありません。最後に確定した記録は seq ${w.seq} です（seq ${have + 1}〜${w.seq} の ${w.seq - have} 件が失われています）`,
    };
  }
  const at = hashAt(w.seq);
  if (!at || !at.equals(w.hash)) {
    return { ok: false, witness: w, reason: `seq ${w.seq} の記録が、確定したときの記録と異なります（記録の差し替えの疑い）` };
  }
  return { ok: true, witness: w };
}

/** The operator's message for a failed check: what happened and the two ways on. */
export function gapMessage(dataDir: string, reason: string): string {
  return (
    `${reason}。異常終了のあとで WAL ファイル（vault.db-wal）が失われたか壊れた、または古いデータベースに置き換えられた可能性があります。` +
    `確定済みの記録を失ったまま動かさないため、起動を中止しました。バックアップから復元する（mnvault restore）か、` +
    `失われた範囲を確認したうえで mnvault accept-head --data ${dataDir} を実行して現状を受け入れてください（監査記録に残ります）。`
  );
}
