import type { Db } from './database.js';

export interface RestoreDrillRow {
  id: number;
  drilledOn: string;
  result: 'ok' | 'failed';
  note: string;
  recordedBy: string;
  recordedAt: string;
}

type Raw = { id: number; drilled_on: string; result: 'ok' | 'failed'; note: string; recorded_by: string; recorded_at: string };
const toRow = (r: Raw): RestoreDrillRow => ({ id: r.id, drilledOn: r.drilled_on, result: r.result, note: r.note, recordedBy: r.recorded_by, recordedAt: r.recorded_at });

/** The admin's records of restore drills (migration 211); every read walks restore_drills_on backwards. */
export class RestoreDrillsRepo {
  constructor(private readonly db: Db) {}

  insert(d: Omit<RestoreDrillRow, 'id'>): number {
    return Number(
      this.db.prepare('INSERT INTO restore_drills (drilled_on, result, note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)').run(d.drilledOn, d.result, d.note, d.recordedBy, d.recordedAt)
        .lastInsertRowid,
    );
  }

  /** The newest drills first (by the day of the drill). */
  latest(limit: number): RestoreDrillRow[] {
    return (this.db.prepare('SELECT * FROM restore_drills ORDER BY drilled_on DESC, id DESC LIMIT ?').all(limit) as Raw[]).map(toRow);
  }
}
