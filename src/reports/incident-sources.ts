import type { AuditSubject } from '../domain/audit-events.js';
import type { Db } from '../storage/database.js';
import { ProvisionRepo } from '../storage/provision-repo.js';
import { ReportRepo } from '../storage/report-repo.js';
import type { Vault } from '../services/vault.js';
import { incidentFacts, LEFT_VAULT_ACTIONS, type IncidentFacts, type IncidentFilter, type IncidentSources } from './incident.js';

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

/** The incident view's facts for a period: events that left the vault, up to the trail's head now. */
export function incidentFactsOf(vault: Pick<Vault, 'db' | 'audit'>, period: { from: string; to: string }, filter: IncidentFilter): IncidentFacts {
  const events = new ReportRepo(vault.db).events(LEFT_VAULT_ACTIONS, period.from, period.to, vault.audit.head()?.seq ?? 0);
  return incidentFacts(events, filter, incidentSources(vault.db));
}
