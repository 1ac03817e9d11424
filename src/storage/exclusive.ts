import { AppError } from '../domain/errors.js';
import type { Db } from './database.js';

/**
 * Takes the database for this connection alone until it closes: no other
 * process can read or write it meanwhile (locking_mode=EXCLUSIVE). Throws
 * 'conflict' at once when another connection has it open, as a running
 * `mnvault serve` does.
 */
export function claimExclusive(db: Db, what: string): void {
  db.pragma('busy_timeout = 0');
  db.pragma('locking_mode = EXCLUSIVE');
  try {
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (cause) {
    db.pragma('locking_mode = NORMAL');
    throw new AppError(
      'conflict',
      `金庫が使用中のため${what}を始められません。サービスを停止（systemctl stop mnvault）し、ほかの mnvault コマンドが終わってからもう一度実行してください。`,
      { cause },
    );
  } finally {
    db.pragma('busy_timeout = 5000');
  }
}
