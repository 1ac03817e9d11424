import { AppError } from '../domain/errors.js';
import type { AuditRow } from '../storage/audit-repo.js';

/** A chain head printed earlier (on a report, or by `audit verify`): the paper witness. */
export interface Anchor {
  seq: number;
  hash: Buffer;
  /** As given, for messages. */
  text: string;
}

/** Parses `SEQ:HASH` (HASH: the 64 hex digits printed beside seq); anything else is a usage error. */
export function parseAnchor(text: string): Anchor {
  const m = /^([1-9][0-9]{0,14}):([0-9a-fA-F]{64})$/u.exec(text.trim());
  if (!m) {
    throw new AppError(
      'invalid',
      `--anchor「${text.slice(0, 100)}」の形式が正しくありません。印刷された先頭を「seq:ハッシュ」（例: 1234:` +
        `${'0f'.repeat(32)}）の形で、ハッシュは16進64文字のまま指定してください。`,
    );
  }
  return { seq: Number(m[1]), hash: Buffer.from(m[2]!, 'hex'), text: `${m[1]}:${m[2]!.toLowerCase()}` };
}

export type AnchorResult = { anchor: Anchor; ok: true } | { anchor: Anchor; ok: false; reason: string };

/**
 * Checks an anchor against a chain that has just verified whole: the stored
 * event at its seq must carry exactly its hash. Because every link up to that
 * event verified, everything before it leads to the printed hash; a history
 * rewritten before it (even with every HMAC recomputed) ends in another hash.
 */
export function checkAnchor(anchor: Anchor, row: Pick<AuditRow, 'hash'> | undefined, headSeq: number): AnchorResult {
  if (!row) {
    return { anchor, ok: false, reason: `seq ${anchor.seq} の記録がありません（現在の先頭は seq ${headSeq}）。記録が切り詰められた疑いがあります` };
  }
  if (!row.hash.equals(anchor.hash)) {
    return { anchor, ok: false, reason: `seq ${anchor.seq} のハッシュが印刷された値と一致しません（記録上: ${row.hash.toString('hex')}）。この時点より前の記録が書き換えられた疑いがあります` };
  }
  return { anchor, ok: true };
}
