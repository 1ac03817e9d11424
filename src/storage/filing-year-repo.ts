import type { FilingKind } from '../domain/filing.js';
import type { FilingYearState } from '../domain/filing-year.js';
import type { Db } from './database.js';
import { VISIBLE } from './register-query.js';

export interface FilingYearQuery {
  kind: FilingKind;
  set: 'employees' | 'payees';
  purpose: string;
  year: number;
}

export interface FilingYearRow {
  id: number;
  name: string;
  kana: string | null;
  code: string | null;
  status: 'active' | 'retired';
  retiredOn: string | null;
  state: FilingYearState;
  refusalReason: string | null;
  filed: 0 | 1;
}

/** Which rows a list shows: one state, the filed, or the not yet filed. */
export type FilingYearFilter = { state: FilingYearState } | { filed: boolean };

/**
 * The year view's reads. Who needs a filing of a kind for a year: the set's
 * persons of that year — an employee or payee who was active during it
 * (leavers and ended payees of the year included, and one whose last payment
 * fell in it), by the primary kind or a further role — as PersonsRepo.exportSet
 * decides, but every such person, with or without a number. Per person the state says whether a number is
 * there for the purpose and why not; `filed` whether a handover of that year
 * and kind named them.
 *
 * A page is a keyset seek on persons' rowid; each test per person is a seek
 * on an index (person_roles_once, person_numbers' key, purpose_notices_person,
 * filing_handover_persons_person), see test/integration/filing-year-plan.test.ts.
 */
export class FilingYearRepo {
  constructor(private readonly db: Db) {}

  /** The persons of a set paid during the year (@from, @to: the year's first and last day). */
  static population(set: 'employees' | 'payees'): string {
    const kind = set === 'employees' ? 'employee' : 'payee';
    // Paid during the year: still active, ended during or after it, or a last payment (最終支払日: 翌月払いの給与, a final invoice) in it.
    return `((p.kind = '${kind}' AND (p.status = 'active' OR p.retired_on >= @from
          OR EXISTS (SELECT 1 FROM person_final_payments f WHERE f.person_id = p.id AND f.paid_on BETWEEN @from AND @to)))
      OR EXISTS (SELECT 1 FROM person_roles r WHERE r.person_id = p.id AND r.role = '${kind}' AND r.started_on <= @to
          AND (r.ended_on IS NULL OR r.ended_on >= @from OR r.last_paid_on BETWEEN @from AND @to)))
      AND ${VISIBLE('p')}`;
  }

  private static readonly NOTIFIED = `(EXISTS (SELECT 1 FROM person_numbers n, json_each(n.purposes) j WHERE n.person_id = p.id AND j.value = @purpose)
      OR EXISTS (SELECT 1 FROM purpose_notices pn, json_each(pn.purposes) j WHERE pn.person_id = p.id AND j.value = @purpose))`;

  // A 法人 payee files under its 法人番号 and has no My Number (番号法 has no 個人番号 for a 法人).
  private static readonly STATE = `CASE
      WHEN p.corporate_number IS NOT NULL THEN 'corporate'
      WHEN p.number_state IS NULL THEN 'missing'
      WHEN p.number_state = 'not_provided' THEN 'not_provided'
      WHEN p.number_state = 'disposed' THEN 'disposed'
      WHEN NOT ${FilingYearRepo.NOTIFIED} THEN 'not_notified'
      WHEN p.identity_checked = 0 THEN 'unchecked'
      ELSE 'ready' END`;

  private static readonly FILED = `EXISTS (SELECT 1 FROM filing_handover_persons fp JOIN filing_handovers h ON h.id = fp.handover_id
      WHERE fp.person_id = p.id AND h.year = @year AND h.kind = @kind)`;

  private params(q: FilingYearQuery) {
    return { from: `${q.year}-01-01`, to: `${q.year}-12-31`, year: q.year, kind: q.kind, purpose: q.purpose };
  }

  /** Persons per state, and how many of them were filed. */
  counts(q: FilingYearQuery): { states: Map<FilingYearState, number>; total: number; filed: number } {
    const rows = this.db
      .prepare(`SELECT ${FilingYearRepo.STATE} AS state, count(*) AS n, sum(${FilingYearRepo.FILED}) AS filed FROM persons p WHERE ${FilingYearRepo.population(q.set)} GROUP BY 1`)
      .all(this.params(q)) as { state: FilingYearState; n: number; filed: number }[];
    const states = new Map(rows.map((r) => [r.state, r.n]));
    return { states, total: rows.reduce((a, r) => a + r.n, 0), filed: rows.reduce((a, r) => a + r.filed, 0) };
  }

  /** One page of the persons a filter selects, in id order after `afterId`; one row more than `limit` says a next page exists. */
  page(q: FilingYearQuery, filter: FilingYearFilter, afterId: number, limit: number): FilingYearRow[] {
    const cond = 'state' in filter ? `${FilingYearRepo.STATE} = @state` : `${FilingYearRepo.FILED} = ${filter.filed ? 1 : 0}`;
    return this.db
      .prepare(
        `SELECT p.id, p.name, p.kana, p.code, p.status, p.retired_on AS retiredOn, ${FilingYearRepo.STATE} AS state,
           (SELECT n.refusal_reason FROM person_numbers n WHERE n.person_id = p.id) AS refusalReason, ${FilingYearRepo.FILED} AS filed
         FROM persons p WHERE p.id > @after AND ${FilingYearRepo.population(q.set)} AND ${cond} ORDER BY p.id LIMIT @limit`,
      )
      .all({ ...this.params(q), after: afterId, limit: limit + 1, ...('state' in filter ? { state: filter.state } : {}) }) as FilingYearRow[];
  }
}
