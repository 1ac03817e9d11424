import type { Actor } from '../../src/domain/audit-events.js';
import type { ProvisionChannel, ProvisionDestination } from '../../src/domain/provision.js';
import type { Vault } from '../../src/services/vault.js';
import { writeTransaction } from '../../src/storage/database.js';

export interface TestHandover {
  kind: string;
  year: number | null;
  personIds: readonly number[];
  destination: ProvisionDestination;
  channel: ProvisionChannel;
  actor: Actor;
  purpose?: string;
  requestId?: number;
}

/**
 * What the merge leaves behind, for tests of what follows it: the audit event
 * 'filing.merged' (appended through the trail) and its filing_handovers row
 * with the persons, in one transaction. Returns the handover's id.
 */
export function addHandover(vault: Vault, h: TestHandover): number {
  return writeTransaction(vault.db, () => {
    const subjects = h.personIds.map((id) => ({ id, name: vault.persons.byId(id)!.name }));
    const requestId = h.requestId ?? 1;
    const e = vault.audit.append({
      actor: h.actor,
      action: 'filing.merged',
      purpose: h.purpose ?? 'withholding_slip',
      subjects,
      detail: { request_id: requestId, kind: h.kind, year: h.year, rows: h.personIds.length, persons: h.personIds.length },
    });
    const id = Number(
      vault.db
        .prepare(
          `INSERT INTO filing_handovers (merged_seq, request_id, kind, year, destination, channel, rows, persons, handler_id, merged_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(e.seq, requestId, h.kind, h.year, h.destination, h.channel, h.personIds.length, h.personIds.length, h.actor.id, vault.clock.now().toISOString()).lastInsertRowid,
    );
    const add = vault.db.prepare('INSERT INTO filing_handover_persons (handover_id, person_id) VALUES (?, ?)');
    for (const p of h.personIds) add.run(id, p);
    return id;
  });
}
