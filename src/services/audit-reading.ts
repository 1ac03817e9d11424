import { linkHolds } from '../audit/verify.js';
import type { Secret } from '../domain/secret.js';
import type { AuditBrowseRepo, AuditCursor, AuditFilter } from '../storage/audit-browse-repo.js';
import { namedAuditRow, type AuditRepo, type AuditRow } from '../storage/audit-repo.js';
import type { PersonsRepo } from '../storage/persons-repo.js';
import type { UsersRepo } from '../storage/users-repo.js';

export type { AuditCursor, AuditFilter, AuditRow };

/** One page of the trail as the audit pages read it: events by name, and whether newer / older ones exist. */
export interface AuditEventPage {
  rows: AuditRow[];
  newer: boolean;
  older: boolean;
}

export interface AuditReadingDeps {
  browse: AuditBrowseRepo;
  trail: AuditRepo;
  users: UsersRepo;
  persons: PersonsRepo;
  auditKey: Secret<Buffer>;
}

/**
 * The audit pages' read model: the trail as the browse queries read it, the
 * names they show, and one event's link check. Made once by the composition;
 * the pages never see the repositories or the audit key behind it.
 */
export class AuditReading {
  constructor(private readonly deps: AuditReadingDeps) {}

  page(filter: AuditFilter, cursor: AuditCursor, limit: number): AuditEventPage {
    const page = this.deps.browse.page(filter, cursor, limit);
    return { rows: page.rows.map(namedAuditRow), newer: page.newer, older: page.older };
  }

  /** One event by its seq, with the names of its subjects resolved; undefined when there is none. */
  event(seq: number): AuditRow | undefined {
    const row = this.deps.browse.bySeq(seq);
    return row && namedAuditRow(row);
  }

  /** Every event of one action, oldest first (enrolments and revocations of security keys). */
  allOf(action: string): AuditRow[] {
    return this.deps.browse.allOf(action).map(namedAuditRow);
  }

  /** The seq of the chain's newest event (0 when empty). */
  headSeq(): number {
    return this.deps.trail.head()?.seq ?? 0;
  }

  head(): { seq: number; hash: Buffer } | undefined {
    return this.deps.trail.head();
  }

  /** The persons a filter's name matches (at most `limit`) and how many matched in all. */
  searchPersons(q: string, limit: number): { ids: number[]; total: number } {
    const found = this.deps.persons.search({ q, perPage: limit });
    return { ids: found.rows.map((r) => r.id), total: found.total };
  }

  /** The actors seen in the trail: their id and the name to show (the account's, else the trail's). */
  actors(): { id: string; name: string }[] {
    const { browse, users } = this.deps;
    return browse.distinct('actor_id').map((id) => ({ id, name: users.byId(id)?.displayName ?? browse.actorName(id) ?? id }));
  }

  devices(): string[] {
    return this.deps.browse.distinct('device');
  }

  /** Whether one shown event's HMAC and prev_hash hold, read as stored (not as shown). */
  linked(seq: number): boolean {
    const { browse, trail, auditKey } = this.deps;
    const row = browse.rawBySeq(seq);
    if (!row) return false;
    const prev = seq === 1 ? Buffer.alloc(32) : browse.namedBySeq(seq - 1)?.hash;
    return prev !== undefined && linkHolds(trail, auditKey, row, prev);
  }
}
