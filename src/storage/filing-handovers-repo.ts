/**
 * filing_handovers and filing_handover_persons (migration 180): written when a
 * merged filing file leaves the appliance, inside the transaction that
 * appends its 'filing.merged' event. Insert only; submission, receipt and
 * deletion are recorded elsewhere.
 */
import type { ProvisionChannel, ProvisionDestination } from '../domain/provision.js';
import type { PersonId } from '../domain/persons.js';
import type { Db } from './database.js';

export interface NewFilingHandover {
  mergedSeq: number;
  requestId: number;
  kind: string;
  year: number | null;
  destination: ProvisionDestination;
  channel: ProvisionChannel;
  rows: number;
  handlerId: string;
  mergedAt: string;
  persons: readonly PersonId[];
}

export class FilingHandoversRepo {
  constructor(private readonly db: Db) {}

  /** One handover and the persons it names; returns its id. Call inside the write transaction. */
  insert(h: NewFilingHandover): number {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO filing_handovers (merged_seq, request_id, kind, year, destination, channel, rows, persons, handler_id, merged_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(h.mergedSeq, h.requestId, h.kind, h.year, h.destination, h.channel, h.rows, h.persons.length, h.handlerId, h.mergedAt).lastInsertRowid,
    );
    const person = this.db.prepare('INSERT INTO filing_handover_persons (handover_id, person_id) VALUES (?, ?)');
    for (const p of new Set(h.persons)) person.run(id, p);
    return id;
  }
}
