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
  /** How many corrections (訂正) the submission record has; the fields above are the record in force. */
  corrections: number;
}

// The handler's name as the merge event recorded it; the recorders' names from the users table (a handful of rows).
// The submission shown is the record in force: the latest correction (c, migration 255) when there is one, else the first record.
const COLUMNS = `h.id, h.merged_seq AS mergedSeq, h.request_id AS requestId, h.kind, h.year, h.destination, h.channel, h.rows, h.persons,
  coalesce((SELECT e.actor_name FROM audit_events e WHERE e.seq = h.merged_seq), '') AS handlerName, h.merged_at AS mergedAt,
  CASE WHEN c.id IS NULL THEN h.destination_name ELSE c.destination_name END AS destinationName,
  CASE WHEN c.id IS NULL THEN h.submitted_on ELSE c.submitted_on END AS submittedOn,
  CASE WHEN c.id IS NULL THEN h.receipt_no ELSE c.receipt_no END AS receiptNo,
  (SELECT u.display_name FROM users u WHERE u.id = h.submitted_by) AS submittedByName, h.submitted_at AS submittedAt,
  (SELECT u.display_name FROM users u WHERE u.id = h.file_deleted_by) AS fileDeletedByName, h.file_deleted_at AS fileDeletedAt,
  (SELECT count(*) FROM filing_submission_corrections k WHERE k.handover_id = h.id AND k.seq <= @maxSeq) AS corrections`;

/** The handovers (h, optionally through an index) with their latest correction up to @maxSeq (c); a seek on filing_submission_corrections_handover per handover. */
const source = (indexed = '') => `filing_handovers h ${indexed} LEFT JOIN filing_submission_corrections c
  ON c.id = (SELECT max(k.id) FROM filing_submission_corrections k WHERE k.handover_id = h.id AND k.seq <= @maxSeq)`;

const ALL = Number.MAX_SAFE_INTEGER;

/** The open condition, word for word the partial index filing_handovers_open's (migration 180), so the planner uses it (open() writes it with the table's alias). */
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
         FROM ${source()} JOIN audit_events e ON e.seq = h.merged_seq WHERE h.id = @id`,
      )
      .get({ id, maxSeq: ALL }) as (HandoverRow & { subjects: string; purpose: string | null }) | undefined;
  }

  /** Handovers, newest first (a page by id). */
  recent(limit: number, beforeId?: number): HandoverRow[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM ${source()} WHERE h.id < @before ORDER BY h.id DESC LIMIT @limit`)
      .all({ before: beforeId ?? Number.MAX_SAFE_INTEGER, limit, maxSeq: ALL }) as HandoverRow[];
  }

  /** Open handovers (not yet submitted or not yet confirmed deleted), oldest first: the partial index filing_handovers_open. */
  open(limit: number, maxSeq = Number.MAX_SAFE_INTEGER): HandoverRow[] {
    return this.db
      .prepare(
        `SELECT ${COLUMNS} FROM ${source('INDEXED BY filing_handovers_open')} WHERE (h.submitted_on IS NULL OR h.file_deleted_at IS NULL) AND h.merged_seq <= @maxSeq ORDER BY h.merged_at LIMIT @limit`,
      )
      .all({ maxSeq, limit }) as HandoverRow[];
  }

  openCount(): number {
    return this.db.prepare(`SELECT count(*) FROM filing_handovers INDEXED BY filing_handovers_open WHERE ${OPEN}`).pluck().get() as number;
  }

  /** The handovers of a filing year, by kind and merge time (index filing_handovers_year), up to a printed head. */
  ofYear(year: number, maxSeq: number): HandoverRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM ${source()} WHERE h.year = @year AND h.merged_seq <= @maxSeq ORDER BY h.kind, h.merged_at, h.id`).all({ year, maxSeq }) as HandoverRow[];
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
