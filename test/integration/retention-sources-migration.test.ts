import { describe, expect, it } from 'vitest';
import { databaseAtVersion } from '../helpers/migrations.js';

describe('migration 075: retention sources cite docs/retention.md', () => {
  it('replaces the seeded citation of a file outside the repository, keeping an admin’s own words', () => {
    const { db, migrateAll } = databaseAtVersion(8);
    const sources = () => new Map((db.prepare('SELECT code, source FROM retention_rules').all() as { code: string; source: string }[]).map((r) => [r.code, r.source]));
    expect([...sources().values()].every((s) => s.includes('domain-facts'))).toBe(true);
    // An admin rewrote one source before the update, keeping the old citation at its end.
    db.prepare("UPDATE retention_rules SET source = '当社の規程第12条による。参考: domain-facts §2.9', updated_by = 'u1' WHERE code = 'employment_insurance'").run();

    migrateAll();
    const after = sources();
    expect([...after.values()].filter((s) => s.includes('domain-facts'))).toEqual([]);
    expect([...after.values()].every((s) => s.includes('docs/retention.md'))).toBe(true);
    expect(after.get('employment_insurance')).toBe('当社の規程第12条による。解説: docs/retention.md');
    expect(after.get('dependant_declaration')).toBe('所得税法施行規則第76条の3（申告書の提出期限の属する年の翌年1月10日の翌日から7年間保存）。解説: docs/retention.md');
    expect(after.get('payment_record')).toContain('税理士に確認のうえ見直してください');
  });
});
