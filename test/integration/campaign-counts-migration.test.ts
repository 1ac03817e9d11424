import { describe, expect, it } from 'vitest';
import { databaseAtVersion } from '../helpers/migrations.js';

describe('migration 210: campaign counters', () => {
  it('counts the members of campaigns made before it, then follows every insert, state change and delete', () => {
    const { db, migrateAll } = databaseAtVersion(209);
    // Members point at persons; the counters do not care who they are.
    db.pragma('foreign_keys = OFF');
    db.prepare("INSERT INTO campaigns (id, name, filter, purposes, valid_days, created_by, created_at) VALUES (1, 'old', 'missing', '{}', 14, 'u', 'x')").run();
    const member = db.prepare('INSERT INTO campaign_members (campaign_id, person_id, state) VALUES (?, ?, ?)');
    for (const [p, s] of [
      [1, 'pending'],
      [2, 'issued'],
      [3, 'issued'],
      [4, 'submitted'],
      [5, 'verified'],
    ] as const)
      member.run(1, p, s);

    migrateAll();
    const counts = (id: number) => db.prepare('SELECT pending, issued, submitted, verified FROM campaign_counts WHERE campaign_id = ?').get(id);
    expect(counts(1)).toEqual({ pending: 1, issued: 2, submitted: 1, verified: 1 });
    db.prepare("INSERT INTO campaigns (id, name, filter, purposes, valid_days, created_by, created_at) VALUES (2, 'new', 'missing', '{}', 14, 'u', 'x')").run();
    member.run(2, 1, 'pending');
    member.run(2, 2, 'pending');
    db.prepare("UPDATE campaign_members SET state = 'issued' WHERE campaign_id = 2").run();
    db.prepare("UPDATE campaign_members SET state = 'submitted' WHERE campaign_id = 2 AND person_id = 2").run();
    db.prepare('DELETE FROM campaign_members WHERE campaign_id = 1 AND person_id = 2').run();
    expect(counts(2)).toEqual({ pending: 0, issued: 1, submitted: 1, verified: 0 });
    expect(counts(1)).toEqual({ pending: 1, issued: 1, submitted: 1, verified: 1 });
  });
});
