import { shownSubjects } from './audit-names-repo.js';
import type { ProvisionChannel, ProvisionDestination } from '../domain/provision.js';
import type { Db } from './database.js';

export interface ExportRow {
  seq: number;
  at: string;
  actorId: string;
  actorName: string;
  purpose: string | null;
  persons: number;
}

export interface ProvisionRow {
  id: number;
  exportSeq: number;
  destination: ProvisionDestination;
  channel: ProvisionChannel;
  providedOn: string;
  recordedBy: string;
  recordedAt: string;
}

/** export_provisions and export_file_deletions (migration 023), with the exports they hang on. */
export class ProvisionRepo {
  constructor(private readonly db: Db) {}

  /** Exports (numbers.exported events), newest first. */
  exports(limit = 200): ExportRow[] {
    return this.db
      .prepare(
        `SELECT seq, at, actor_id AS actorId, actor_name AS actorName, purpose, json_array_length(subjects) AS persons
         FROM audit_events WHERE action = 'numbers.exported' ORDER BY seq DESC LIMIT ?`,
      )
      .all(limit) as ExportRow[];
  }

  exportBySeq(seq: number): (ExportRow & { subjects: string }) | undefined {
    return this.db
      .prepare(
        `SELECT seq, at, actor_id AS actorId, actor_name AS actorName, purpose, json_array_length(subjects) AS persons, ${shownSubjects('e')} AS subjects
         FROM audit_events e WHERE action = 'numbers.exported' AND seq = ?`,
      )
      .get(seq) as (ExportRow & { subjects: string }) | undefined;
  }

  provisionsOf(exportSeq: number): ProvisionRow[] {
    return this.db
      .prepare(
        `SELECT id, export_seq AS exportSeq, destination, channel, provided_on AS providedOn, recorded_by AS recordedBy, recorded_at AS recordedAt
         FROM export_provisions WHERE export_seq = ? ORDER BY id`,
      )
      .all(exportSeq) as ProvisionRow[];
  }

  insertProvision(p: Omit<ProvisionRow, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO export_provisions (export_seq, destination, channel, provided_on, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(p.exportSeq, p.destination, p.channel, p.providedOn, p.recordedBy, p.recordedAt).lastInsertRowid,
    );
  }

  deletionOf(exportSeq: number): { confirmedBy: string; confirmedAt: string } | undefined {
    return this.db.prepare('SELECT confirmed_by AS confirmedBy, confirmed_at AS confirmedAt FROM export_file_deletions WHERE export_seq = ?').get(exportSeq) as
      | { confirmedBy: string; confirmedAt: string }
      | undefined;
  }

  confirmDeletion(exportSeq: number, by: string, at: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO export_file_deletions (export_seq, confirmed_by, confirmed_at) VALUES (?, ?, ?)').run(exportSeq, by, at).changes === 1;
  }

  /** Exports up to maxSeq whose file has not been confirmed deleted: open 持出し. */
  openCarryOuts(maxSeq: number): ExportRow[] {
    return this.db
      .prepare(
        `SELECT seq, at, actor_id AS actorId, actor_name AS actorName, purpose, json_array_length(subjects) AS persons
         FROM audit_events e WHERE action = 'numbers.exported' AND seq <= ?
           AND NOT EXISTS (SELECT 1 FROM export_file_deletions d WHERE d.export_seq = e.seq) ORDER BY seq`,
      )
      .all(maxSeq) as ExportRow[];
  }
}
