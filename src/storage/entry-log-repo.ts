import type { Db } from './database.js';

/** One event of the entry log as stored in the audit trail. */
export interface EntryLogRow {
  seq: number;
  at: string;
  actorName: string;
  action: string;
  subjects: string;
  purpose: string | null;
  device: string | null;
  detail: string;
}

// The same expression as the partial index audit_events_entry_log (migration 130), so SQLite uses it:
// approvals, door events, and what was refused at the appliance (wrong PIN, lock, refused approval or key,
// a failed reading of a 個人番号カード).
const IS_ENTRY_LOG = `(action = 'gate.entry' OR action GLOB 'door.*'
     OR action IN ('gate.pin_refused', 'gate.pin_locked', 'gate.key_refused', 'card.read_failed')
     OR (action = 'slot.unlock_failed' AND device IS NOT NULL))`;

/**
 * The entry log (入退室記録) read from the audit trail itself: every approval
 * at the appliance (gate.entry), every refusal there (a wrong PIN, a lock, a
 * refused key) and every door event, in a time range.
 */
export class EntryLogRepo {
  private readonly pageStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.pageStmt = db.prepare(
      `SELECT seq, at, actor_name AS actorName, action, subjects, purpose, device, detail FROM audit_events
       WHERE ${IS_ENTRY_LOG} AND at >= ? AND at < ? ORDER BY at DESC, seq DESC LIMIT ? OFFSET ?`,
    );
    this.countStmt = db.prepare(`SELECT count(*) FROM audit_events WHERE ${IS_ENTRY_LOG} AND at >= ? AND at < ?`).pluck();
  }

  /** Events with from <= at < to, newest first. */
  page(from: string, to: string, limit: number, offset: number): EntryLogRow[] {
    return this.pageStmt.all(from, to, limit, offset) as EntryLogRow[];
  }

  count(from: string, to: string): number {
    return this.countStmt.get(from, to) as number;
  }
}
