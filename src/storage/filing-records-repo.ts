import type { ProvisionChannel, ProvisionDestination } from '../domain/provision.js';
import type { Submission } from '../domain/filing-record.js';
import { shownSubjects } from './audit-names-repo.js';
import type { Db } from './database.js';

export interface HandoverRow {
  id: number;
  mergedSeq: number;
  requestId: number;
  kind: string;
  year: number | null;
  destination: ProvisionDestination;
  channel: ProvisionChannel;
  rows: number;
  persons: number;
  handlerName: string;
  mergedAt: string;
  destinationName: string | null;
  submittedOn: string | null;
  receiptNo: string | null;
  submittedByName: string | null;
  submittedAt: string | null;
  fileDeletedByName: string | null;
  fileDeletedAt: string | null;
}

// The handler's name as the merge event recorded it; the recorders' names from the users table (a handful of rows).
const COLUMNS = `h.id, h.merged_seq AS mergedSeq, h.request_id AS requestId, h.kind, h.year, h.destination, h.channel, h.rows, h.persons,
  coalesce((SELECT e.actor_name FROM audit_events e WHERE e.seq = h.merged_seq), '') AS handlerName, h.merged_at AS mergedAt,
  h.destination_name AS destinationName, h.submitted_on AS submittedOn, h.receipt_no AS receiptNo,
  (SELECT u.display_name FROM users u WHERE u.id = h.submitted_by) AS submittedByName, h.submitted_at AS submittedAt,
  (SELECT u.display_name FROM users u WHERE u.id = h.file_deleted_by) AS fileDeletedByName, h.file_deleted_at AS fileDeletedAt`;

/** The open condition, word for word the partial index filing_handovers_open's (migration 180), so the planner uses it. */
const OPEN = 'submitted_on IS NULL OR file_deleted_at IS NULL';

/**
 * Reads and the two updates of filing_handovers (migration 180) after the
 * merge wrote them: the submission record and the deletion confirmation. The
 * merge's own inserts live in filing-handovers-repo.ts.
 */
export class FilingRecordsRepo {
  constructor(private readonly db: Db) {}

  byId(id: number): (HandoverRow & { subjects: string; purpose: string | null }) | undefined {
    return this.db
      .prepare(
        `SELECT ${COLUMNS}, e.purpose, ${shownSubjects('e')} AS subjects
         FROM filing_handovers h JOIN audit_events e ON e.seq = h.merged_seq WHERE h.id = ?`,
      )
      .get(id) as (HandoverRow & { subjects: string; purpose: string | null }) | undefined;
  }

  /** Handovers, newest first (a page by id). */
  recent(limit: number, beforeId?: number): HandoverRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM filing_handovers h WHERE h.id < ? ORDER BY h.id DESC LIMIT ?`).all(beforeId ?? Number.MAX_SAFE_INTEGER, limit) as HandoverRow[];
  }

  /** Open handovers (not yet submitted or not yet confirmed deleted), oldest first: the partial index filing_handovers_open. */
  open(limit: number, maxSeq = Number.MAX_SAFE_INTEGER): HandoverRow[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM filing_handovers h INDEXED BY filing_handovers_open WHERE (${OPEN}) AND h.merged_seq <= ? ORDER BY h.merged_at LIMIT ?`)
      .all(maxSeq, limit) as HandoverRow[];
  }

  openCount(): number {
    return this.db.prepare(`SELECT count(*) FROM filing_handovers INDEXED BY filing_handovers_open WHERE ${OPEN}`).pluck().get() as number;
  }

  /** The handovers of a filing year, by kind and merge time (index filing_handovers_year), up to a printed head. */
  ofYear(year: number, maxSeq: number): HandoverRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM filing_handovers h WHERE h.year = ? AND h.merged_seq <= ? ORDER BY h.kind, h.merged_at, h.id`).all(year, maxSeq) as HandoverRow[];
  }

  /** Records the submission once; false when it was already recorded. */
  recordSubmission(id: number, s: Submission, by: string, at: string): boolean {
    return (
      this.db
        .prepare('UPDATE filing_handovers SET destination_name = ?, submitted_on = ?, receipt_no = ?, submitted_by = ?, submitted_at = ? WHERE id = ? AND submitted_on IS NULL')
        .run(s.destinationName, s.submittedOn, s.receiptNo, by, at, id).changes === 1
    );
  }

  /** Records the deletion of the local file once; false when it was already confirmed. */
  confirmDeletion(id: number, by: string, at: string): boolean {
    return this.db.prepare('UPDATE filing_handovers SET file_deleted_by = ?, file_deleted_at = ? WHERE id = ? AND file_deleted_at IS NULL').run(by, at, id).changes === 1;
  }
}
