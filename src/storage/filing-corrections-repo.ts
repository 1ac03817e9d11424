import type { Correction } from '../domain/filing-correction.js';
import type { Db } from './database.js';

/** One state of a submission record: the first record (reason null) or a correction of it. */
export interface SubmissionEntry {
  handoverId: number;
  /** 0 for the first record, else the correction's id. */
  correctionId: number;
  destinationName: string;
  submittedOn: string;
  receiptNo: string | null;
  reason: string | null;
  byName: string | null;
  at: string;
}

const FIRST = `SELECT h.id AS handoverId, 0 AS correctionId, h.destination_name AS destinationName, h.submitted_on AS submittedOn, h.receipt_no AS receiptNo,
  NULL AS reason, (SELECT u.display_name FROM users u WHERE u.id = h.submitted_by) AS byName, h.submitted_at AS at`;
const LATER = `SELECT c.handover_id, c.id, c.destination_name, c.submitted_on, c.receipt_no,
  c.reason, (SELECT u.display_name FROM users u WHERE u.id = c.corrected_by), c.corrected_at`;

/**
 * filing_submission_corrections (migration 255): the corrections of a
 * handover's submission record, appended and never changed; the first record
 * stays in filing_handovers as written.
 */
export class FilingCorrectionsRepo {
  constructor(private readonly db: Db) {}

  add(handoverId: number, seq: number, c: Correction, by: string, at: string): void {
    this.db
      .prepare(
        `INSERT INTO filing_submission_corrections (handover_id, seq, destination_name, submitted_on, receipt_no, reason, corrected_by, corrected_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(handoverId, seq, c.destinationName, c.submittedOn, c.receiptNo, c.reason, by, at);
  }

  /** A handover's submission record from the first to the latest correction; empty before it was submitted. */
  history(handoverId: number): SubmissionEntry[] {
    return this.db
      .prepare(
        `${FIRST} FROM filing_handovers h WHERE h.id = @id AND h.submitted_on IS NOT NULL
         UNION ALL ${LATER} FROM filing_submission_corrections c WHERE c.handover_id = @id ORDER BY 2`,
      )
      .all({ id: handoverId }) as SubmissionEntry[];
  }

  /**
   * The histories of a filing year's corrected handovers (index filing_handovers_year, then a
   * seek per handover), by handover and in order; corrections after the printed head left out.
   */
  correctedOfYear(year: number, maxSeq: number): SubmissionEntry[] {
    const corrected = 'EXISTS (SELECT 1 FROM filing_submission_corrections k WHERE k.handover_id = h.id AND k.seq <= @maxSeq)';
    return this.db
      .prepare(
        `${FIRST} FROM filing_handovers h WHERE h.year = @year AND h.merged_seq <= @maxSeq AND h.submitted_on IS NOT NULL AND ${corrected}
         UNION ALL ${LATER} FROM filing_handovers h JOIN filing_submission_corrections c ON c.handover_id = h.id
           WHERE h.year = @year AND h.merged_seq <= @maxSeq AND c.seq <= @maxSeq
         ORDER BY 1, 2`,
      )
      .all({ year, maxSeq }) as SubmissionEntry[];
  }
}
