import type { PersonId, PersonKind, PersonStatus } from '../domain/persons.js';
import type { RetentionRule, RetentionStart } from '../domain/retention.js';
import type { Db } from './database.js';
import { VISIBLE } from './register-query.js';

export type RetentionSetting = 'batch_month' | 'backup_retention_days';

export interface StoredRule extends RetentionRule {
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface LegalHold {
  id: number;
  personId: PersonId;
  reason: string;
  setBy: string;
  setByName: string | null;
  setAt: string;
}

/** A person holding a sealed number whose 事務 may have ended, with the facts retention needs. */
export interface RetentionCandidate {
  id: PersonId;
  kind: PersonKind;
  code: string | null;
  name: string;
  status: PersonStatus;
  retiredOn: string | null;
  dependantUntil: string | null;
  supporterRetiredOn: string | null;
  /** 最終支払日 (migration 021), and the supporter's for a dependant. */
  lastPaidOn: string | null;
  supporterLastPaidOn: string | null;
}

export type DisposalState = 'proposed' | 'executed' | 'cancelled';

export interface DisposalRow {
  id: number;
  state: DisposalState;
  batch: string;
  note: string | null;
  proposedBy: string;
  proposedByName: string;
  proposedAt: string;
  approvedBy: string | null;
  approvedByName: string | null;
  approvedAt: string | null;
  executedAt: string | null;
  samePerson: boolean;
  cancelledBy: string | null;
  cancelledAt: string | null;
  backupsAgedOutOn: string | null;
}

export interface DisposalPersonRow {
  personId: PersonId;
  personName: string;
  retentionEnd: string;
  /** Codes of the rules that made the person due. */
  rules: string[];
}

interface RawDisposal {
  id: number;
  state: DisposalState;
  batch: string;
  note: string | null;
  proposed_by: string;
  proposed_by_name: string;
  proposed_at: string;
  approved_by: string | null;
  approved_by_name: string | null;
  approved_at: string | null;
  executed_at: string | null;
  same_person: number;
  cancelled_by: string | null;
  cancelled_at: string | null;
  backups_aged_out_on: string | null;
}

const toDisposal = (r: RawDisposal): DisposalRow => ({
  id: r.id,
  state: r.state,
  batch: r.batch,
  note: r.note,
  proposedBy: r.proposed_by,
  proposedByName: r.proposed_by_name,
  proposedAt: r.proposed_at,
  approvedBy: r.approved_by,
  approvedByName: r.approved_by_name,
  approvedAt: r.approved_at,
  executedAt: r.executed_at,
  samePerson: r.same_person === 1,
  cancelledBy: r.cancelled_by,
  cancelledAt: r.cancelled_at,
  backupsAgedOutOn: r.backups_aged_out_on,
});

/** retention_rules, retention_settings, legal_holds, disposals (migration 008). Never a number. */
/** A recorded バックアップ消去確認: who confirmed the copies in older backups gone, and when. */
export interface BackupErasure {
  confirmedByName: string;
  confirmedAt: string;
}

export class RetentionRepo {
  /** The executed disposals recorded in another database (a backup copy); none in a copy older than the table. */
  static executedDisposalIdsIn(db: Db): number[] {
    const has = (t: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t) !== undefined;
    if (!has('disposals')) return [];
    // Disposals re-applied after a restore (migration 025) are included as well.
    const sql = has('reapplied_disposals')
      ? "SELECT id FROM disposals WHERE state = 'executed' UNION SELECT disposal_id FROM reapplied_disposals ORDER BY 1"
      : "SELECT id FROM disposals WHERE state = 'executed' ORDER BY id";
    return db.prepare(sql).pluck().all() as number[];
  }

  constructor(private readonly db: Db) {}

  rules(): StoredRule[] {
    const rows = this.db.prepare('SELECT * FROM retention_rules ORDER BY sort, code').all() as {
      code: string; name: string; document: string; applies_to: string; years: number; start: RetentionStart; source: string; updated_at: string | null; updated_by: string | null;
    }[];
    return rows.map((r) => ({
      code: r.code, name: r.name, document: r.document, appliesTo: JSON.parse(r.applies_to) as PersonKind[], years: r.years, start: r.start, source: r.source, updatedAt: r.updated_at, updatedBy: r.updated_by,
    }));
  }

  updateRule(code: string, v: Pick<RetentionRule, 'years' | 'start' | 'source'>, by: string, at: string): void {
    this.db.prepare('UPDATE retention_rules SET years = ?, start = ?, source = ?, updated_at = ?, updated_by = ? WHERE code = ?').run(v.years, v.start, v.source, at, by, code);
  }

  setting(key: RetentionSetting): number {
    const v = this.db.prepare('SELECT value FROM retention_settings WHERE key = ?').pluck().get(key) as number | undefined;
    if (v === undefined) throw new Error(`retention setting ${key} missing`);
    return v;
  }

  setSetting(key: RetentionSetting, value: number, by: string, at: string): void {
    this.db.prepare('UPDATE retention_settings SET value = ?, updated_at = ?, updated_by = ? WHERE key = ?').run(value, at, by, key);
  }

  holdOf(personId: PersonId): LegalHold | undefined {
    return this.holds('WHERE h.person_id = ? AND h.cleared_at IS NULL', [personId])[0];
  }

  /** Every active hold, by person. */
  activeHolds(): Map<PersonId, LegalHold> {
    return new Map(this.holds('WHERE h.cleared_at IS NULL', []).map((h) => [h.personId, h]));
  }

  private holds(where: string, args: unknown[]): LegalHold[] {
    const rows = this.db
      .prepare(`SELECT h.id, h.person_id, h.reason, h.set_by, u.display_name, h.set_at FROM legal_holds h LEFT JOIN users u ON u.id = h.set_by ${where} ORDER BY h.id`)
      .raw()
      .all(...args) as [number, number, string, string, string | null, string][];
    return rows.map((r) => ({ id: r[0], personId: r[1], reason: r[2], setBy: r[3], setByName: r[4], setAt: r[5] }));
  }

  setHold(personId: PersonId, reason: string, by: string, at: string): void {
    this.db.prepare('INSERT INTO legal_holds (person_id, reason, set_by, set_at) VALUES (?, ?, ?, ?)').run(personId, reason, by, at);
  }

  clearHold(personId: PersonId, by: string, at: string): boolean {
    return this.db.prepare('UPDATE legal_holds SET cleared_by = ?, cleared_at = ? WHERE person_id = ? AND cleared_at IS NULL').run(by, at, personId).changes === 1;
  }

  /**
   * Persons with a held number whose 事務 may have ended: retired employees and
   * ended payees, dependants after 異動 or whose supporter retired. Optionally only some ids.
   */
  candidates(ids?: readonly PersonId[]): RetentionCandidate[] {
    const only = ids ? `AND p.id IN (SELECT value FROM json_each(?))` : '';
    const rows = this.db
      .prepare(
        `SELECT p.id, p.kind, p.code, p.name, p.status, p.retired_on, p.dependant_until,
                CASE WHEN s.status = 'retired' THEN s.retired_on END, fp.paid_on, sfp.paid_on
         FROM persons p JOIN person_numbers n ON n.person_id = p.id AND n.state = 'held'
         LEFT JOIN persons s ON s.id = p.supporter_id
         LEFT JOIN person_final_payments fp ON fp.person_id = p.id
         LEFT JOIN person_final_payments sfp ON sfp.person_id = p.supporter_id
         WHERE (p.status = 'retired' OR p.dependant_until IS NOT NULL OR s.status = 'retired') AND ${VISIBLE('p')} ${only}
         ORDER BY p.kana IS NULL, p.kana, p.id`,
      )
      .raw()
      .all(...(ids ? [JSON.stringify(ids)] : [])) as [number, PersonKind, string | null, string, PersonStatus, string | null, string | null, string | null, string | null, string | null][];
    return rows.map((r) => ({
      id: r[0], kind: r[1], code: r[2], name: r[3], status: r[4], retiredOn: r[5], dependantUntil: r[6], supporterRetiredOn: r[7], lastPaidOn: r[8], supporterLastPaidOn: r[9],
    }));
  }

  /** 最終支払日 of a person, or null when none is recorded. */
  lastPaidOn(personId: PersonId): string | null {
    return (this.db.prepare('SELECT paid_on FROM person_final_payments WHERE person_id = ?').pluck().get(personId) as string | undefined) ?? null;
  }

  /** setLastPaidOn for many persons in the caller's transaction, with one statement prepared once (a bulk import). */
  setLastPaidOnMany(rows: readonly { personId: PersonId; paidOn: string }[], by: string, at: string): void {
    if (rows.length === 0) return;
    const stmt = this.db.prepare(
      `INSERT INTO person_final_payments (person_id, paid_on, recorded_by, recorded_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(person_id) DO UPDATE SET paid_on = excluded.paid_on, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at`,
    );
    for (const r of rows) stmt.run(r.personId, r.paidOn, by, at);
  }

  setLastPaidOn(personId: PersonId, paidOn: string, by: string, at: string): void {
    this.db
      .prepare(
        `INSERT INTO person_final_payments (person_id, paid_on, recorded_by, recorded_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(person_id) DO UPDATE SET paid_on = excluded.paid_on, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at`,
      )
      .run(personId, paidOn, by, at);
  }

  /** Persons already in a disposal awaiting approval, with that disposal's id. */
  openProposals(): Map<PersonId, number> {
    const rows = this.db
      .prepare(`SELECT dp.person_id, d.id FROM disposal_persons dp JOIN disposals d ON d.id = dp.disposal_id WHERE d.state = 'proposed'`)
      .raw()
      .all() as [number, number][];
    return new Map(rows);
  }

  insertDisposal(d: { batch: string; note: string | null; proposedBy: string; proposedByName: string; proposedAt: string }, persons: readonly DisposalPersonRow[]): number {
    const id = Number(
      this.db
        .prepare(`INSERT INTO disposals (state, batch, note, proposed_by, proposed_by_name, proposed_at) VALUES ('proposed', ?, ?, ?, ?, ?)`)
        .run(d.batch, d.note, d.proposedBy, d.proposedByName, d.proposedAt).lastInsertRowid,
    );
    const add = this.db.prepare('INSERT INTO disposal_persons (disposal_id, person_id, person_name, retention_end, rules) VALUES (?, ?, ?, ?, ?)');
    for (const p of persons) add.run(id, p.personId, p.personName, p.retentionEnd, JSON.stringify(p.rules));
    return id;
  }

  disposal(id: number): DisposalRow | undefined {
    const r = this.db.prepare('SELECT * FROM disposals WHERE id = ?').get(id) as RawDisposal | undefined;
    return r && toDisposal(r);
  }

  disposals(state: DisposalState, limit = 100): DisposalRow[] {
    return (this.db.prepare('SELECT * FROM disposals WHERE state = ? ORDER BY id DESC LIMIT ?').all(state, limit) as RawDisposal[]).map(toDisposal);
  }

  disposalPersons(id: number): DisposalPersonRow[] {
    const rows = this.db.prepare('SELECT person_id, person_name, retention_end, rules FROM disposal_persons WHERE disposal_id = ? ORDER BY person_id').raw().all(id) as [number, string, string, string][];
    return rows.map((r) => ({ personId: r[0], personName: r[1], retentionEnd: r[2], rules: JSON.parse(r[3]) as string[] }));
  }

  /** The executed disposal that destroyed a person's number, if any. */
  executedDisposalOf(personId: PersonId): DisposalRow | undefined {
    const r = this.db
      .prepare(`SELECT d.* FROM disposals d JOIN disposal_persons dp ON dp.disposal_id = d.id WHERE dp.person_id = ? AND d.state = 'executed' ORDER BY d.id DESC LIMIT 1`)
      .get(personId) as RawDisposal | undefined;
    return r && toDisposal(r);
  }

  markExecuted(id: number, v: { approvedBy: string; approvedByName: string; at: string; samePerson: boolean; backupsAgedOutOn: string }): void {
    this.db
      .prepare(`UPDATE disposals SET state = 'executed', approved_by = ?, approved_by_name = ?, approved_at = ?, executed_at = ?, same_person = ?, backups_aged_out_on = ? WHERE id = ? AND state = 'proposed'`)
      .run(v.approvedBy, v.approvedByName, v.at, v.at, v.samePerson ? 1 : 0, v.backupsAgedOutOn, id);
  }

  /** Records, in a restored vault, a disposal the backup did not include (from the disposal ledger). */
  recordReapplied(id: number, executedAt: string, personIds: readonly number[], at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO reapplied_disposals (disposal_id, executed_at, person_ids, reapplied_at) VALUES (?, ?, ?, ?)').run(id, executedAt, JSON.stringify(personIds), at);
  }

  /** Disposals re-applied after a restore, as the ledger listed them. */
  reappliedDisposals(): { id: number; executedAt: string; personIds: number[] }[] {
    const rows = this.db.prepare('SELECT disposal_id, executed_at, person_ids FROM reapplied_disposals ORDER BY disposal_id').raw().all() as [number, string, string][];
    return rows.map((r) => ({ id: r[0], executedAt: r[1], personIds: JSON.parse(r[2]) as number[] }));
  }

  cancel(id: number, by: string, at: string): void {
    this.db.prepare(`UPDATE disposals SET state = 'cancelled', cancelled_by = ?, cancelled_at = ? WHERE id = ? AND state = 'proposed'`).run(by, at, id);
  }

  /**
   * Destroys a held number: the sealed box and its keyed index become NULL
   * (secure_delete zeroes the freed bytes). Returns false if it was not held.
   */
  destroyNumber(personId: PersonId, at: string): boolean {
    return (
      this.db
        .prepare(`UPDATE person_numbers SET state = 'disposed', sealed = NULL, number_index = NULL, refusal_reason = NULL, disposed_at = ? WHERE person_id = ? AND state = 'held'`)
        .run(at, personId).changes === 1
    );
  }

  /** Admins who can sign in (not disabled): the four-eyes rule applies when there is more than one. */
  activeAdminCount(): number {
    return this.db.prepare(`SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL`).pluck().get() as number;
  }

  /** Other admins disabled since a time: one who proposed cannot turn off the second person and approve alone. */
  adminsDisabledSince(sinceIso: string, exceptUserId: string): number {
    return this.db
      .prepare(`SELECT count(*) FROM users WHERE role = 'admin' AND id != ? AND disabled_at IS NOT NULL AND disabled_at >= ?`)
      .pluck()
      .get(exceptUserId, sinceIso) as number;
  }

  /** バックアップ消去確認 of a disposal, when recorded. */
  backupErasure(disposalId: number): BackupErasure | undefined {
    return this.db
      .prepare('SELECT confirmed_by_name AS confirmedByName, confirmed_at AS confirmedAt FROM disposal_backup_erasures WHERE disposal_id = ?')
      .get(disposalId) as BackupErasure | undefined;
  }

  recordBackupErasure(disposalId: number, by: { id: string; name: string }, at: string): void {
    this.db
      .prepare('INSERT INTO disposal_backup_erasures (disposal_id, confirmed_by, confirmed_by_name, confirmed_at) VALUES (?, ?, ?, ?)')
      .run(disposalId, by.id, by.name, at);
  }
}
