import { EVENT_KINDS } from '../domain/filing-year-person.js';
import type { FilingKind } from '../domain/filing.js';
import type { Db } from './database.js';
import { FilingYearRepo } from './filing-year-repo.js';
import { VISIBLE } from './register-query.js';

export interface YearPersonRow {
  id: number;
  kind: 'employee' | 'payee' | 'dependant';
  name: string;
  code: string | null;
  status: 'active' | 'retired';
  retiredOn: string | null;
  employee: 0 | 1;
  payee: 0 | 1;
  joinedInYear: 0 | 1;
  leftInYear: 0 | 1;
}

export interface DependantRow {
  id: number;
  supporterId: number;
  name: string;
  relationship: string | null;
}

export interface PersonFilingRow {
  personId: number;
  handoverId: number;
  kind: FilingKind;
  destinationName: string | null;
  submittedOn: string | null;
}

const EVENT = EVENT_KINDS.map((k) => `'${k}'`).join(', ');

/**
 * The year view per person: a page of the year's employees and payees (a
 * keyset seek on persons' rowid, each tested by index seeks as in
 * FilingYearRepo), then for the page's persons and their dependants the
 * handovers naming them (filing_handover_persons_person) and the dependants
 * (persons_supporter, person_roles_supporter). At most a page's persons are
 * read, never the whole register; see test/integration/filing-year-persons-plan.test.ts.
 */
export class FilingYearPersonsRepo {
  constructor(private readonly db: Db) {}

  private static params(year: number) {
    // The year's first and last day (dates), and its instants in Japan time (created_at is an ISO instant in UTC).
    return { year, from: `${year}-01-01`, to: `${year}-12-31`, fromTs: `${year - 1}-12-31T15:00:00.000Z`, toTs: `${year}-12-31T15:00:00.000Z` };
  }

  /** One page of the year's persons in id order after `afterId`; one row more than `limit` says a next page exists. */
  page(year: number, afterId: number, limit: number): YearPersonRow[] {
    const employees = FilingYearRepo.population('employees');
    const payees = FilingYearRepo.population('payees');
    return this.db
      .prepare(
        `SELECT p.id, p.kind, p.name, p.code, p.status, p.retired_on AS retiredOn,
           (${employees}) AS employee, (${payees}) AS payee,
           ((p.kind = 'employee' AND p.created_at >= @fromTs AND p.created_at < @toTs)
             OR EXISTS (SELECT 1 FROM person_roles r WHERE r.person_id = p.id AND r.role = 'employee' AND r.started_on BETWEEN @from AND @to)) AS joinedInYear,
           ((p.kind = 'employee' AND p.retired_on BETWEEN @from AND @to)
             OR EXISTS (SELECT 1 FROM person_roles r WHERE r.person_id = p.id AND r.role = 'employee' AND r.ended_on BETWEEN @from AND @to)) AS leftInYear
         FROM persons p WHERE p.id > @after AND ((${employees}) OR (${payees})) ORDER BY p.id LIMIT @limit`,
      )
      .all({ ...FilingYearPersonsRepo.params(year), after: afterId, limit: limit + 1 }) as YearPersonRow[];
  }

  /** The dependants of the given employees: by their primary kind or a dependant role. */
  dependantsOf(supporterIds: readonly number[]): DependantRow[] {
    if (supporterIds.length === 0) return [];
    return this.db
      .prepare(
        `SELECT d.id, d.supporter_id AS supporterId, d.name, d.relationship FROM persons d
           WHERE d.supporter_id IN (SELECT value FROM json_each(@ids)) AND ${VISIBLE('d')}
         UNION
         SELECT d.id, r.supporter_id, d.name, r.relationship FROM person_roles r JOIN persons d ON d.id = r.person_id
           WHERE r.supporter_id IN (SELECT value FROM json_each(@ids)) AND r.role = 'dependant' AND ${VISIBLE('d')}
         ORDER BY 2, 1`,
      )
      .all({ ids: JSON.stringify(supporterIds) }) as DependantRow[];
  }

  /**
   * The handovers naming the given persons: those of the year, and the 資格取得・喪失届 of any year
   * (filed per event). The destination's name is the submission record in force (its latest correction).
   */
  filingsOf(personIds: readonly number[], year: number): PersonFilingRow[] {
    if (personIds.length === 0) return [];
    return this.db
      .prepare(
        `SELECT fp.person_id AS personId, h.id AS handoverId, h.kind,
           coalesce((SELECT c.destination_name FROM filing_submission_corrections c WHERE c.handover_id = h.id ORDER BY c.id DESC LIMIT 1), h.destination_name) AS destinationName,
           coalesce((SELECT c.submitted_on FROM filing_submission_corrections c WHERE c.handover_id = h.id ORDER BY c.id DESC LIMIT 1), h.submitted_on) AS submittedOn
         FROM filing_handover_persons fp JOIN filing_handovers h ON h.id = fp.handover_id
         WHERE fp.person_id IN (SELECT value FROM json_each(@ids)) AND (h.year = @year OR h.kind IN (${EVENT}))
         ORDER BY fp.person_id, h.id`,
      )
      .all({ ids: JSON.stringify(personIds), year }) as PersonFilingRow[];
  }
}
