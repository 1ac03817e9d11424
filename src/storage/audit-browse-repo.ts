import type { Db } from './database.js';
import { namedAuditRow, SHOWN, type AuditRow, type RawAuditRow } from './audit-repo.js';

const COLUMNS = 'seq, at, actor_id, actor_name, action, subjects, purpose, client, device, detail, prev_hash, hash';

/** What the audit views filter on; every part optional, all parts together (AND). */
export interface AuditFilter {
  /** A period as UTC instants, from inclusive, to exclusive. */
  from?: string | undefined;
  to?: string | undefined;
  actorId?: string | undefined;
  /** Any of these actions (one, or a group). */
  actions?: readonly string[] | undefined;
  /** Events naming any of these persons. */
  personIds?: readonly number[] | undefined;
  purpose?: string | undefined;
  device?: string | undefined;
}

/** Keyset paging by seq: older than `before`, or newer than `after`; neither is the newest page. */
export interface AuditCursor {
  before?: number | undefined;
  after?: number | undefined;
}

export interface AuditPage {
  rows: RawAuditRow[];
  /** Whether a page of newer / older matching events exists. */
  newer: boolean;
  older: boolean;
}

/**
 * Reads the trail for the audit views. Paging is by seq, never OFFSET: each
 * page walks one index from its cursor, so page 20,000 costs what page 1 does.
 *
 * A filter picks the index that drives the walk: a person goes through
 * audit_subjects(person_id, seq), an action through (action, seq), an actor,
 * purpose or device through theirs; the other conditions are checked on the
 * rows met. Several persons or actions (a name search, an action group) walk
 * one branch each, LIMIT n+1 apiece, merged here. A period becomes the seq
 * range between the first event at or after its start and the last before its
 * end (along audit_events(at)): the trail's order, which is its time order.
 */
export class AuditBrowseRepo {
  private readonly stmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(private readonly db: Db) {}

  private stmt(sql: string) {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** The seq range a period covers, or undefined when no event falls in it. */
  seqRange(from?: string, to?: string): { lo: number; hi: number } | undefined {
    let lo = 1;
    let hi = Number.MAX_SAFE_INTEGER;
    if (from !== undefined) {
      const s = this.stmt('SELECT seq FROM audit_events WHERE at >= ? ORDER BY at, seq LIMIT 1').pluck().get(from) as number | undefined;
      if (s === undefined) return undefined;
      lo = s;
    }
    if (to !== undefined) {
      const s = this.stmt('SELECT seq FROM audit_events WHERE at < ? ORDER BY at DESC, seq DESC LIMIT 1').pluck().get(to) as number | undefined;
      if (s === undefined) return undefined;
      hi = s;
    }
    return lo <= hi ? { lo, hi } : undefined;
  }

  /**
   * The SQL of each branch the filter walks, with its arguments, for one
   * direction. Exposed so a test can ask SQLite for each plan.
   */
  branches(f: AuditFilter, range: { lo: number; hi: number }, cursor: AuditCursor, limit: number): { sql: string; args: unknown[] }[] {
    const asc = cursor.after !== undefined;
    const persons = f.personIds?.length ? [...new Set(f.personIds)] : undefined;
    const actions = f.actions?.length ? [...new Set(f.actions)] : undefined;
    const key = persons ? 's.seq' : 'e.seq';
    // One range only: given two upper bounds SQLite may seek by the looser one and filter the rest.
    const lo = cursor.after !== undefined ? Math.max(range.lo, cursor.after + 1) : range.lo;
    const hi = cursor.before !== undefined ? Math.min(range.hi, cursor.before - 1) : range.hi;
    const common: string[] = [`${key} BETWEEN ? AND ?`];
    const commonArgs: unknown[] = [lo, hi];
    const onEvent: string[] = [];
    const onEventArgs: unknown[] = [];
    if (f.actorId !== undefined) {
      onEvent.push('e.actor_id = ?');
      onEventArgs.push(f.actorId);
    }
    if (f.purpose !== undefined) {
      onEvent.push('e.purpose = ?');
      onEventArgs.push(f.purpose);
    }
    if (f.device !== undefined) {
      onEvent.push('e.device = ?');
      onEventArgs.push(f.device);
    }
    const order = `ORDER BY ${key} ${asc ? 'ASC' : 'DESC'} LIMIT ?`;
    if (persons) {
      if (actions) {
        onEvent.push(`e.action IN (${actions.map(() => '?').join(', ')})`);
        onEventArgs.push(...actions);
      }
      const from = onEvent.length ? 'audit_subjects s JOIN audit_events e ON e.seq = s.seq' : 'audit_subjects s';
      const sql = `SELECT s.seq FROM ${from} WHERE s.person_id = ? AND ${[...common, ...onEvent].join(' AND ')} ${order}`;
      return persons.map((p) => ({ sql, args: [p, ...commonArgs, ...onEventArgs, limit] }));
    }
    if (actions) {
      const sql = `SELECT e.seq FROM audit_events e WHERE e.action = ? AND ${[...common, ...onEvent].join(' AND ')} ${order}`;
      return actions.map((a) => ({ sql, args: [a, ...commonArgs, ...onEventArgs, limit] }));
    }
    return [{ sql: `SELECT e.seq FROM audit_events e WHERE ${[...onEvent, ...common].join(' AND ')} ${order}`, args: [...onEventArgs, ...commonArgs, limit] }];
  }

  /** One page of matching events, newest first. */
  page(f: AuditFilter, cursor: AuditCursor, limit: number): AuditPage {
    const range = this.seqRange(f.from, f.to);
    if (!range) return { rows: [], newer: false, older: false };
    const asc = cursor.after !== undefined;
    const seen = new Set<number>();
    for (const b of this.branches(f, range, cursor, limit + 1)) {
      for (const s of this.stmt(b.sql).pluck().all(...b.args) as number[]) seen.add(s);
    }
    const seqs = [...seen].sort((a, b) => (asc ? a - b : b - a));
    const more = seqs.length > limit;
    const picked = seqs.slice(0, limit).sort((a, b) => b - a);
    const rows = this.bySeqs(picked);
    return asc
      ? { rows, newer: more, older: true }
      : { rows, newer: cursor.before !== undefined, older: more };
  }

  /** Rows by seq, newest first, names as shown (「削除済」 once erased). */
  bySeqs(seqs: readonly number[]): RawAuditRow[] {
    if (seqs.length === 0) return [];
    return this.db
      .prepare(`SELECT ${SHOWN} FROM audit_events e WHERE seq IN (${seqs.map(() => '?').join(', ')}) ORDER BY seq DESC`)
      .raw()
      .all(...seqs) as RawAuditRow[];
  }

  /** One row, names as shown. Its subjects may differ from the stored text: check hashes on rawBySeq. */
  bySeq(seq: number): RawAuditRow | undefined {
    return this.stmt(`SELECT ${SHOWN} FROM audit_events e WHERE seq = ?`).raw().get(seq) as RawAuditRow | undefined;
  }

  /** bySeq, read by name. */
  namedBySeq(seq: number): AuditRow | undefined {
    const row = this.bySeq(seq);
    return row && namedAuditRow(row);
  }

  /** One row as stored, the fields its hash covers. */
  rawBySeq(seq: number): RawAuditRow | undefined {
    return this.stmt(`SELECT ${COLUMNS} FROM audit_events WHERE seq = ?`).raw().get(seq) as RawAuditRow | undefined;
  }

  /** The newest event of an action. */
  latestOf(action: string): RawAuditRow | undefined {
    return this.stmt(`SELECT ${SHOWN} FROM audit_events e WHERE action = ? ORDER BY seq DESC LIMIT 1`).raw().get(action) as RawAuditRow | undefined;
  }

  /** Every event of an action, oldest first (for rare actions: enrolments). */
  allOf(action: string): RawAuditRow[] {
    return this.stmt(`SELECT ${SHOWN} FROM audit_events e WHERE action = ? ORDER BY seq`).raw().all(action) as RawAuditRow[];
  }

  /** Distinct values of an indexed column, each found by one index seek (a skip scan). */
  distinct(column: 'device' | 'actor_id'): string[] {
    return this.stmt(
      `WITH RECURSIVE d(v) AS (
         SELECT (SELECT min(${column}) FROM audit_events WHERE ${column} IS NOT NULL)
         UNION ALL SELECT (SELECT min(${column}) FROM audit_events WHERE ${column} > d.v) FROM d WHERE d.v IS NOT NULL
       ) SELECT v FROM d WHERE v IS NOT NULL LIMIT 500`,
    )
      .pluck()
      .all() as string[];
  }

  /** The name an actor had in their latest event. */
  actorName(actorId: string): string | undefined {
    return this.stmt('SELECT actor_name FROM audit_events WHERE actor_id = ? ORDER BY seq DESC LIMIT 1').pluck().get(actorId) as string | undefined;
  }
}
