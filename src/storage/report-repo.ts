import { shownSubjects } from './audit-names-repo.js';
import type { AuditRow } from './audit-repo.js';
import type { Db } from './database.js';
import { VISIBLE } from './register-query.js';

/** One audit event as the reports read it (the hashes stay with the verifier). */
export type ReportEventRow = Omit<AuditRow, 'prevHash' | 'hash'>;

/** subjects as shown: names resolved, 「削除済」 for an erased person (docs/erasure.md). */
const COLUMNS = `seq, at, actor_id AS actorId, actor_name AS actorName, action, ${shownSubjects('e')} AS subjects, purpose, client, device, detail`;

/**
 * The audit trail read for printed reports. Every query stops at a given seq:
 * the head printed on the paper, so a report never shows an event its printed
 * head does not cover, even while others keep appending.
 */
export class ReportRepo {
  constructor(private readonly db: Db) {}

  /** Events of the given actions with from <= at < to and seq <= maxSeq, in seq order (uses the (action, at) index). */
  events(actions: readonly string[], from: string, to: string, maxSeq: number): IterableIterator<ReportEventRow> {
    const marks = actions.map(() => '?').join(', ');
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM audit_events e WHERE action IN (${marks}) AND at >= ? AND at < ? AND seq <= ? ORDER BY seq`)
      .iterate(...actions, from, to, maxSeq) as IterableIterator<ReportEventRow>;
  }

  /** Counts of persons by kind, status and number state; a dependant with an 異動 date counts as 'retired' (扶養終了). */
  registerCounts(): { kind: string; status: string; state: string | null; n: number }[] {
    return this.db
      .prepare(
        `SELECT p.kind, CASE WHEN p.kind = 'dependant' THEN CASE WHEN p.dependant_until IS NULL THEN 'active' ELSE 'retired' END ELSE p.status END AS status,
                n.state, count(*) AS n FROM persons p LEFT JOIN person_numbers n ON n.person_id = p.id
         WHERE ${VISIBLE('p')}
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      )
      .all() as { kind: string; status: string; state: string | null; n: number }[];
  }

  identityCheckCount(): number {
    return this.db.prepare('SELECT count(*) FROM identity_checks').pluck().get() as number;
  }

  auditCount(maxSeq: number): number {
    return this.db.prepare('SELECT count(*) FROM audit_events WHERE seq <= ?').pluck().get(maxSeq) as number;
  }

  /** The newest event of an action up to maxSeq. */
  lastOf(action: string, maxSeq: number): ReportEventRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM audit_events e WHERE action = ? AND seq <= ? ORDER BY at DESC, seq DESC LIMIT 1`).get(action, maxSeq) as
      | ReportEventRow
      | undefined;
  }

  /** True when an event other than `action` was appended after `seq`. */
  otherEventSince(seq: number, action: string): boolean {
    return this.db.prepare('SELECT 1 FROM audit_events WHERE seq > ? AND action != ? LIMIT 1').pluck().get(seq, action) !== undefined;
  }

  countOf(action: string, maxSeq: number): number {
    return this.db.prepare('SELECT count(*) FROM audit_events WHERE action = ? AND seq <= ?').pluck().get(action, maxSeq) as number;
  }

  /** The retention rules as the register prints them, or null in a vault from before migration 008 (no rules table). */
  retentionRules(): { document: string; years: number; start: string }[] | null {
    const hasRules = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retention_rules'").pluck().get() !== undefined;
    return hasRules ? (this.db.prepare('SELECT document, years, start FROM retention_rules ORDER BY sort').all() as { document: string; years: number; start: string }[]) : null;
  }

  /** Persons whose number is held now, by id: what an encrypted file of the vault holds, for the incident view. */
  heldPersons(): { id: number; name: string }[] {
    return this.db.prepare(`SELECT p.id, p.name FROM persons p JOIN person_numbers n ON n.person_id = p.id AND n.state = 'held' ORDER BY p.id`).all() as { id: number; name: string }[];
  }
}
