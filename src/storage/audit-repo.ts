import type { Db } from './database.js';

/** One audit_events row as stored; the chain logic lives in src/audit. */
export interface AuditRow {
  seq: number;
  at: string;
  actorId: string;
  actorName: string;
  action: string;
  subjects: string;
  purpose: string | null;
  client: string | null;
  device: string | null;
  detail: string;
  prevHash: Buffer;
  hash: Buffer;
}

/** Column order of raw rows handed to the verifier. */
export type RawAuditRow = [number, string, string, string, string, string, string | null, string | null, string | null, string, Buffer, Buffer];

const COLUMNS = 'seq, at, actor_id, actor_name, action, subjects, purpose, client, device, detail, prev_hash, hash';

export class AuditRepo {
  private readonly insertStmt;
  private readonly headStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.headStmt = db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').raw();
  }

  head(): { seq: number; hash: Buffer } | undefined {
    const r = this.headStmt.get() as [number, Buffer] | undefined;
    return r && { seq: r[0], hash: r[1] };
  }

  insert(r: AuditRow): void {
    this.insertStmt.run(r.seq, r.at, r.actorId, r.actorName, r.action, r.subjects, r.purpose, r.client, r.device, r.detail, r.prevHash, r.hash);
  }

  /** Rows in seq order from `fromSeq`, as arrays (the verifier's hot path). */
  iterateRaw(fromSeq = 0, toSeq = Number.MAX_SAFE_INTEGER): IterableIterator<RawAuditRow> {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM audit_events WHERE seq >= ? AND seq <= ? ORDER BY seq`)
      .raw()
      .iterate(fromSeq, toSeq) as IterableIterator<RawAuditRow>;
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM audit_events').pluck().get() as number;
  }

  /** Events that name a person, newest first; the subjects JSON holds the ids. */
  forPerson(personId: string, limit = 100): AuditRow[] {
    const rows = this.db
      .prepare(
        `SELECT ${COLUMNS} FROM audit_events
         WHERE EXISTS (SELECT 1 FROM json_each(audit_events.subjects) s WHERE json_extract(s.value, '$.id') = ?)
         ORDER BY seq DESC LIMIT ?`,
      )
      .raw()
      .all(personId, limit) as RawAuditRow[];
    return rows.map(fromRaw);
  }
}

export function fromRaw(r: RawAuditRow): AuditRow {
  return {
    seq: r[0], at: r[1], actorId: r[2], actorName: r[3], action: r[4], subjects: r[5],
    purpose: r[6], client: r[7], device: r[8], detail: r[9], prevHash: r[10], hash: r[11],
  };
}
