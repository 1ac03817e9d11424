import { describe, expect, it } from 'vitest';
import { FilingYearPersonsRepo } from '../../src/storage/filing-year-persons-repo.js';
import { recordQueries } from '../helpers/query-log.js';
import { newTestVault } from '../helpers/vault.js';

const planOf = (db: { prepare(sql: string): { all(...a: unknown[]): unknown[] } }, sql: string, args: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(args as never[])) as { detail: string }[]).map((p) => p.detail);

describe('the year view per person answers from indexes', () => {
  it('pages the persons by a seek on their id; the dependants and the filings of the page are index seeks, never a scan of persons or handovers', async () => {
    const { vault } = await newTestVault();
    const seen = recordQueries(vault.db);
    const repo = new FilingYearPersonsRepo(vault.db);
    repo.page(2026, 0, 50);
    repo.dependantsOf([1, 2, 3]);
    repo.filingsOf([1, 2, 3, 4], 2026);
    expect(seen).toHaveLength(3);
    const [page, dependants, filings] = seen.map(({ sql, args }) => planOf(vault.db, sql, args));
    // The page itself comes in id order; the dependants and filings are sorted after the seeks, a page's few rows.
    expect(page!.join('\n')).not.toContain('TEMP B-TREE');
    for (const plan of [page!, dependants!, filings!]) {
      // Every table read is a seek, except import_batches (the few imports still being stored, VISIBLE) and the json_each of the page's ids.
      for (const line of plan.filter((l) => l.startsWith('SCAN '))) expect(line).toMatch(/^SCAN (b|json_each VIRTUAL TABLE INDEX \d+:)$/u);
    }
    expect(page![0]).toBe('SEARCH p USING INTEGER PRIMARY KEY (rowid>?)');
    expect(page!.join('\n')).toContain('USING INDEX person_roles_once (person_id=? AND role=?)');
    expect(dependants!.join('\n')).toContain('SEARCH d USING INDEX persons_supporter (supporter_id=?)');
    expect(dependants!.join('\n')).toContain('SEARCH r USING INDEX person_roles_supporter (supporter_id=?)');
    const f = filings!.join('\n');
    expect(f).toMatch(/SEARCH fp USING (COVERING )?INDEX filing_handover_persons_person \(person_id=\?\)/u);
    expect(f).toContain('SEARCH h USING INTEGER PRIMARY KEY (rowid=?)');
    expect(f).toContain('SEARCH c USING INDEX filing_submission_corrections_handover (handover_id=?)');
  });
});
