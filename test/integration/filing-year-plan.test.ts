import { describe, expect, it } from 'vitest';
import { FilingYearRepo } from '../../src/storage/filing-year-repo.js';
import { FilingRecordsRepo } from '../../src/storage/filing-records-repo.js';
import { HomeTasksRepo } from '../../src/storage/home-tasks-repo.js';
import { recordQueries } from '../helpers/query-log.js';
import { newTestVault } from '../helpers/vault.js';

const planOf = (db: { prepare(sql: string): { all(...a: unknown[]): unknown[] } }, sql: string, args: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(args as never[])) as { detail: string }[]).map((p) => p.detail);

describe('the year view and the open handovers answer from indexes', () => {
  it('pages each list by a seek on persons and tests each person by index seeks; open handovers use the partial index', async () => {
    const { vault } = await newTestVault();
    const seen = recordQueries(vault.db);
    const q = { kind: 'nta_salary_slip' as const, set: 'employees' as const, purpose: 'withholding_slip', year: 2026 };
    const years = new FilingYearRepo(vault.db);
    years.page(q, { state: 'missing' }, 0, 50);
    years.page(q, { filed: true }, 10, 50);
    years.page({ ...q, kind: 'nta_fees', set: 'payees', purpose: 'payment_record_fees' }, { filed: false }, 0, 50);
    new FilingRecordsRepo(vault.db).open(10);
    new FilingRecordsRepo(vault.db).openCount();
    new HomeTasksRepo(vault.db).openFilingHandovers(10);
    expect(seen).toHaveLength(7);
    const plans = seen.map(({ sql, args }) => planOf(vault.db, sql, args));
    for (const plan of plans) {
      expect(plan.join('\n')).not.toContain('TEMP B-TREE');
      // Every table read is a seek, except import_batches (the few imports still being stored, VISIBLE) and json_each of one row's purposes.
      for (const line of plan.filter((l) => l.startsWith('SCAN '))) expect(line).toMatch(/^SCAN (b$|j VIRTUAL TABLE|(h|filing_handovers) USING INDEX filing_handovers_open$)/u);
    }
    // The three year-view pages: a keyset seek on persons' rowid, the roles, numbers, notices and handovers by index.
    for (const plan of plans.slice(0, 3)) {
      expect(plan[0]).toBe('SEARCH p USING INTEGER PRIMARY KEY (rowid>?)');
      const text = plan.join('\n');
      expect(text).toContain('USING INDEX person_roles_once (person_id=? AND role=?)');
      expect(text).toContain('filing_handovers_year (year=? AND kind=?)');
      expect(text).toContain('SEARCH fp USING PRIMARY KEY (handover_id=? AND person_id=?)');
    }
    expect(plans[0]!.join('\n')).toContain('SEARCH pn USING INDEX purpose_notices_person (person_id=?)');
    for (const plan of plans.slice(3)) expect(plan.join('\n')).toContain('USING INDEX filing_handovers_open');
  });
});
