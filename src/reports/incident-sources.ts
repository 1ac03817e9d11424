import type { AuditSubject } from '../domain/audit-events.js';
import type { Db } from '../storage/database.js';
import { ProvisionRepo } from '../storage/provision-repo.js';
import { ReportRepo } from '../storage/report-repo.js';
import type { IncidentSources } from './incident.js';

/** Reads what an encrypted file or an export held, for the incident view and its draft. */
export function incidentSources(db: Db): IncidentSources {
  return {
    held: () => new ReportRepo(db).heldPersons(),
    exportPersons: (seq) => {
      const e = new ProvisionRepo(db).exportBySeq(seq);
      return e ? (JSON.parse(e.subjects) as AuditSubject[]).map((s) => ({ id: s.id, name: s.name })) : undefined;
    },
  };
}
