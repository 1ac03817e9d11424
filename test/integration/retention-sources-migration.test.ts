import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { openDatabase } from '../../src/storage/database.js';
import { loadMigrations, migrate } from '../../src/storage/migrate.js';
import { tempDir } from '../helpers/vault.js';

const at = new Date('2026-04-01T00:00:00Z');

describe('migration 075: retention sources cite docs/retention.md', () => {
  it('replaces the seeded citation of a file outside the repository, keeping an admin’s own words', () => {
    const db = openDatabase(join(tempDir(), 'vault.db'), new Secret(randomBytes(32)), { create: true });
    try {
      const all = loadMigrations();
      migrate(db, at, all.filter((m) => m.version <= 8));
      const sources = () => new Map((db.prepare('SELECT code, source FROM retention_rules').all() as { code: string; source: string }[]).map((r) => [r.code, r.source]));
      expect([...sources().values()].every((s) => s.includes('domain-facts'))).toBe(true);
      // An admin rewrote one source before the update, keeping the old citation at its end.
      db.prepare("UPDATE retention_rules SET source = '当社の規程第12条による。参考: domain-facts §2.9', updated_by = 'u1' WHERE code = 'employment_insurance'").run();

      migrate(db, at, all);
      const after = sources();
      expect([...after.values()].filter((s) => s.includes('domain-facts'))).toEqual([]);
      expect([...after.values()].every((s) => s.includes('docs/retention.md'))).toBe(true);
      expect(after.get('employment_insurance')).toBe('当社の規程第12条による。解説: docs/retention.md');
      expect(after.get('dependant_declaration')).toBe('所得税法施行規則第76条の3（申告書の提出期限の属する年の翌年1月10日の翌日から7年間保存）。解説: docs/retention.md');
      expect(after.get('payment_record')).toContain('税理士に確認のうえ見直してください');
    } finally {
      db.close();
    }
  });
});
