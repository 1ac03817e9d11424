import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { systemClock } from '../src/domain/ports.js';
import { Secret } from '../src/domain/secret.js';
import { actorOf } from '../src/services/accounts.js';
import { createCampaign, issueCampaignCodes } from '../src/services/campaigns.js';
import { importPersons } from '../src/services/import/import-persons.js';
import { initDevVault } from '../src/services/init-vault.js';
import type { Vault } from '../src/services/vault.js';
import { writeTransaction } from '../src/storage/database.js';
import { TEST_PIN_COST } from '../src/vault/slots.js';
import type { Row } from './row.js';
import { syntheticCsv } from './synthetic.js';
import { BENCH_PURPOSES } from './bench-purposes.js';

const PURPOSES = { employee: ['withholding_slip', 'salary_payment_report'], dependant: ['withholding_slip'], payee: ['payment_record_fees'] };

/**
 * Issuing the codes of a campaign of `members` persons (issue: < 10 s for 10,000):
 * the synthetic register with its number records removed, a 未取得 campaign,
 * then the timed bulk issue (each member's targets and purposes, a code, its
 * hash, the member, one audit row). The floor, in the same run on a second
 * vault of the same shape: the same rows written by bare SQL in one
 * transaction (random bytes, hash, insert the code, update the member), i.e.
 * the storage cost alone.
 */
export async function benchCampaign(root: string, members: number): Promise<Row[]> {
  // The synthetic register has employees and payees in 78 of each 100 rows.
  const n = Math.ceil(members / 0.78);
  const ours = await prepared(join(root, 'campaign-ours'), n);
  const floor = await prepared(join(root, 'campaign-floor'), n);
  try {
    const t0 = performance.now();
    const r = issueCampaignCodes(ours.vault, ours.actor, ours.campaign, { reissue: false }, null);
    const seconds = (performance.now() - t0) / 1000;
    const ids = floor.vault.campaigns.memberIds(floor.campaign, 'pending');
    const f0 = performance.now();
    writeTransaction(floor.vault.db, () => {
      const insert = floor.vault.db.prepare('INSERT INTO intake_codes (code_hash, person_id, issued_by, issued_at, expires_at, purposes) VALUES (?, ?, ?, ?, ?, ?)');
      const member = floor.vault.db.prepare("UPDATE campaign_members SET state = 'issued', code_hash = ?, issued_at = ?, expires_at = ? WHERE campaign_id = ? AND person_id = ?");
      const at = new Date().toISOString();
      for (const id of ids) {
        const hash = createHash('sha256').update(randomBytes(12)).digest();
        insert.run(hash, id, floor.actor.id, at, at, '{}');
        member.run(hash, at, at, floor.campaign, id);
      }
    });
    const floorSeconds = (performance.now() - f0) / 1000;
    return [{ operation: 'campaign: issue codes in bulk', n: r.slips.length, seconds, floor: 'bare inserts of the same rows', floorSeconds, target: '< 10 s for 10,000' }];
  } finally {
    ours.vault.close();
    floor.vault.close();
  }
}

async function prepared(dir: string, n: number): Promise<{ vault: Vault; actor: { id: string; name: string }; campaign: number }> {
  const { vault } = await initDevVault({
    dataDir: dir,
    admin: { login: 'bench', password: new Secret('bench-password-long'), pin: new Secret('135790') },
    clock: systemClock,
    pinCost: TEST_PIN_COST,
  });
  const actor = actorOf(vault.users.byLogin('bench')!);
  const report = importPersons(vault, Buffer.from(syntheticCsv(n)), { actor, purposes: BENCH_PURPOSES });
  if (!report.committed) throw new Error('campaign bench: the synthetic import did not commit');
  // 未取得 everywhere: the number records go (the triggers keep the filter's mirror).
  writeTransaction(vault.db, () => vault.db.prepare('DELETE FROM person_numbers').run());
  const { id } = createCampaign(vault, actor, { name: 'bench', filter: 'missing', purposes: PURPOSES }, null);
  return { vault, actor, campaign: id };
}
