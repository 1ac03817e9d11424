import { describe, expect, it } from 'vitest';
import { syntheticCsv } from '../../bench/synthetic.js';
import { fixedClock } from '../../src/domain/ports.js';
import { createCampaign, campaignProgress, issueCampaignCodes } from '../../src/services/campaigns.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';
import { recordQueries } from '../helpers/query-log.js';
import { recordIntake } from '../../src/services/intake.js';
import type { Vault } from '../../src/services/vault.js';
import { actorOf } from '../../src/services/accounts.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';

const ACTOR = { id: 'admin', name: '管理者' };

/** The synthetic register with every other person's number record removed (未取得); the triggers keep the mirrors and counts. */
async function vaultWith(n: number): Promise<Vault> {
  const { vault } = await newTestVault(fixedClock('2026-04-01T00:00:00Z'));
  expect(importPersons(vault, Buffer.from(syntheticCsv(n)), { actor: ACTOR, purposes: ALL_PURPOSES }).committed).toBe(true);
  vault.db.prepare('DELETE FROM person_numbers WHERE person_id % 2 = 0').run();
  return vault;
}

const PURPOSES = { employee: ['withholding_slip'], dependant: ['withholding_slip'], payee: ['payment_record_fees'] };

describe('campaigns and the new register filter at scale', () => {
  it('answers every campaign query and the 未提供 filter from an index: no scan of a table, no temporary sort', async () => {
    const vault = await vaultWith(300);
    const refused = vault.db.prepare("SELECT id FROM persons WHERE kind = 'employee' AND number_state IS NULL LIMIT 3").pluck().all() as number[];
    for (const id of refused) recordIntake(vault, ACTOR, id, { purposes: ['withholding_slip'], refusalReason: '本人が提供を拒否' }, null);
    const seen = recordQueries(vault.db, { writes: true });
    const ids: number[] = [];
    for (const filter of ['missing', 'unchecked', 'dependants', 'joined_since', 'payees_of_year'] as const) {
      const arg = filter === 'joined_since' ? '2026-01-01' : filter === 'payees_of_year' ? '2026' : undefined;
      ids.push(createCampaign(vault, ACTOR, { name: filter, filter, filterArg: arg, purposes: PURPOSES }, null).id);
    }
    const admin = actorOf(vault.users.byLogin(ADMIN.login)!);
    issueCampaignCodes(vault, admin, ids[0]!, { reissue: false }, null);
    issueCampaignCodes(vault, admin, ids[0]!, { reissue: true }, null);
    const progress = campaignProgress(vault, ids[0]!);
    campaignProgress(vault, ids[0]!, progress.open.at(-1)?.personId ?? 0);
    vault.campaigns.recent(50);
    const page = vault.persons.search({ filter: 'not_provided', perPage: 2 });
    expect(page.total).toBe(3);
    vault.persons.search({ filter: 'not_provided', after: page.next, perPage: 2 });
    vault.persons.search({ filter: 'not_provided', kind: 'employee', before: 'end', perPage: 2 });
    const mine = seen.filter(({ sql }) => /campaign|created_at|number_state = 'not_provided'|number_state IS NULL AND kind|supporter_id FROM persons|supporter_id = \?/u.test(sql));
    expect(mine.length).toBeGreaterThan(12);
    for (const { sql, args } of mine) {
      const plan = (vault.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((p) => p.detail).join(' | ');
      expect(plan, `${sql}: ${plan}`).not.toMatch(/TEMP B-TREE/u);
      // A SCAN is allowed only along an index, never of a table (the list of campaigns walks its
      // rowid backwards and stops at LIMIT: that is the primary key's order, not a scan).
      if (/FROM campaigns ORDER BY id DESC LIMIT/u.test(sql)) continue;
      expect(plan, `${sql}: ${plan}`).not.toMatch(/(^|\| )SCAN (p|m|persons|campaign_members|campaigns)( \||$)/u);
      if (/number_state = 'not_provided'/u.test(sql) && /FROM persons p /u.test(sql) && !/p\.(kind|status) = /u.test(sql)) expect(plan, `${sql}: ${plan}`).toMatch(/persons_register_not_provided/u);
      if (/FROM campaign_members/u.test(sql) && !/code_hash|person_id = \?$/u.test(sql)) expect(plan, sql).toMatch(/campaign_members_(state|open)|PRIMARY KEY/u);
    }
    expect(mine.some(({ sql }) => /created_at >= \?/u.test(sql))).toBe(true);
    // The triggers of migration 140 (a code used, an identity check) seek their member by index.
    const triggerPlan = (sql: string) => (vault.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(Buffer.alloc(32), 1) as { detail: string }[]).map((p) => p.detail).join(' | ');
    expect(triggerPlan("UPDATE campaign_members SET state = 'submitted' WHERE code_hash = ? AND state = 'issued' AND ? = 1")).toMatch(/USING INDEX campaign_members_code/u);
    expect(triggerPlan("UPDATE campaign_members SET state = 'verified' WHERE person_id = ? AND state = 'submitted' AND ? IS NOT NULL")).toMatch(/USING (COVERING )?INDEX campaign_members_person|PRIMARY KEY/u);
  });

  it('pages the 未提供 filter in register order with its maintained count', async () => {
    const vault = await vaultWith(60);
    const ids = vault.db.prepare("SELECT id FROM persons WHERE kind = 'employee' AND number_state IS NULL ORDER BY id LIMIT 5").pluck().all() as number[];
    for (const id of ids) recordIntake(vault, ACTOR, id, { purposes: ['withholding_slip'], refusalReason: '提供を受けられない' }, null);
    const walked: number[] = [];
    let after;
    for (;;) {
      const p = vault.persons.search({ filter: 'not_provided', after, perPage: 2 });
      walked.push(...p.rows.map((r) => r.id));
      expect(p.total).toBe(5);
      if (!p.next) break;
      after = p.next;
    }
    expect(walked.sort((a, b) => a - b)).toEqual(ids);
  });
});

